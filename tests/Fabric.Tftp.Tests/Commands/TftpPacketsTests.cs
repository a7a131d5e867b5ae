using Fabric.Tftp.Commands;

namespace Fabric.Tftp.Tests.Commands;

public class TftpPacketsTests
{
    [Fact]
    public void TryParse_Ack_ReturnsBlock()
    {
        Assert.True(TftpAck.TryParse(Packets.Ack(65535), out var ack));
        Assert.Equal(65535, ack.Block);
        Assert.False(TftpAck.TryParse([0, 4, 1], out _));
        Assert.False(TftpAck.TryParse([0, 3, 0, 1], out _));
    }

    [Fact]
    public void TryWrite_Ack_RoundTrips()
    {
        Span<byte> buffer = stackalloc byte[4];
        Assert.True(new TftpAck(7).TryWrite(buffer, out int written));
        Assert.Equal(Packets.Ack(7), buffer[..written].ToArray());
    }

    [Fact]
    public void TryParse_Data_ReturnsBlockAndPayload()
    {
        byte[] datagram = [0, 3, 0, 9, 1, 2, 3];
        Assert.True(TftpData.TryParse(datagram, out var data));
        Assert.Equal(9, data.Block);
        Assert.Equal([1, 2, 3], data.Payload.ToArray());
        Assert.False(TftpData.TryParse([0, 3, 0], out _));
    }

    [Fact]
    public void TryWrite_Data_RoundTrips()
    {
        Span<byte> buffer = stackalloc byte[16];
        Assert.True(new TftpData(0, [5, 6]).TryWrite(buffer, out int written));
        Assert.Equal(new byte[] { 0, 3, 0, 0, 5, 6 }, buffer[..written].ToArray());
    }

    [Fact]
    public void TryParse_Error_ReturnsCodeAndMessage()
    {
        Assert.True(TftpError.TryParse(Packets.Error(1, "File not found"), out var error));
        Assert.Equal(new TftpError(TftpErrorCode.FileNotFound, "File not found"), error);
    }

    [Theory]
    [InlineData(new byte[] { 0, 5, 0 })]
    [InlineData(new byte[] { 0, 5, 0, 1 })]
    [InlineData(new byte[] { 0, 5, 0, 1, (byte)'x' })]
    public void TryParse_ErrorTooShortOrWithoutNul_Fails(byte[] datagram)
    {
        Assert.False(TftpError.TryParse(datagram, out _));
    }

    [Fact]
    public void TryWrite_Error_ReplacesControlCharactersAndCutsLongMessages()
    {
        Span<byte> buffer = stackalloc byte[600];
        Assert.True(new TftpError(TftpErrorCode.AccessViolation, "a\nb" + new string('x', 400)).TryWrite(buffer, out int written));
        Assert.Equal(4 + TftpError.MaxMessageBytes + 1, written);
        Assert.Equal((byte)'?', buffer[5]);
        Assert.True(TftpError.TryParse(buffer[..written], out var parsed));
        Assert.Equal(TftpErrorCode.AccessViolation, parsed.Code);
    }

    [Fact]
    public void TryWrite_OptionAck_RoundTrips()
    {
        var oack = new TftpOptionAck([new("blksize", "1468"), new("tsize", "1024")]);
        Span<byte> buffer = stackalloc byte[64];
        Assert.True(oack.TryWrite(buffer, out int written));
        Assert.True(TftpOptionAck.TryParse(buffer[..written], out var parsed));
        Assert.Equal(oack.Options, parsed!.Options);
    }
}
