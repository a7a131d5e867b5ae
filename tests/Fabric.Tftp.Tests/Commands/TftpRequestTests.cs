using Fabric.Tftp.Commands;

namespace Fabric.Tftp.Tests.Commands;

public class TftpRequestTests
{
    [Fact]
    public void TryParse_ReadRequestWithOptions_ReturnsNameModeAndOptions()
    {
        var datagram = Packets.Request(1, "pxelinux.0", "OCTET", "BLKSIZE", "1468", "tsize", "0");

        Assert.True(TftpRequest.TryParse(datagram, out var request, out _));
        Assert.Equal(TftpOpcode.ReadRequest, request!.Opcode);
        Assert.Equal("pxelinux.0", request.Filename);
        Assert.Equal(TftpMode.Octet, request.Mode);
        Assert.Equal([new TftpOption("blksize", "1468"), new TftpOption("tsize", "0")], request.Options);
    }

    [Fact]
    public void TryParse_NetasciiMode_ReturnsNetAscii()
    {
        Assert.True(TftpRequest.TryParse(Packets.Request(1, "a", "netascii"), out var request, out _));
        Assert.Equal(TftpMode.NetAscii, request!.Mode);
    }

    [Fact]
    public void TryParse_WriteRequest_ParsesAsWrite()
    {
        Assert.True(TftpRequest.TryParse(Packets.Request(2, "a", "octet"), out var request, out _));
        Assert.Equal(TftpOpcode.WriteRequest, request!.Opcode);
    }

    [Fact]
    public void TryParse_FilenameOver512Bytes_FailsWithIllegalOperation()
    {
        Assert.False(TftpRequest.TryParse(Packets.Rrq(new string('a', 513)), out _, out var error));
        Assert.Equal(TftpErrorCode.IllegalOperation, error.Code);
        Assert.True(TftpRequest.TryParse(Packets.Rrq(new string('a', 512)), out _, out _));
    }

    [Theory]
    [InlineData(new byte[] { 0, 1, (byte)'a' })]
    [InlineData(new byte[] { 0, 1, (byte)'a', 0, (byte)'o', (byte)'c', (byte)'t', (byte)'e', (byte)'t' })]
    [InlineData(new byte[] { 0, 1 })]
    [InlineData(new byte[] { 0 })]
    [InlineData(new byte[] { })]
    public void TryParse_MissingNul_Fails(byte[] datagram)
    {
        Assert.False(TftpRequest.TryParse(datagram, out _, out var error));
        Assert.Equal(TftpErrorCode.IllegalOperation, error.Code);
    }

    [Theory]
    [InlineData("mail")]
    [InlineData("binary")]
    [InlineData("")]
    [InlineData("octet ")]
    public void TryParse_BogusMode_FailsWithIllegalOperation(string mode)
    {
        Assert.False(TftpRequest.TryParse(Packets.Request(1, "a", mode), out _, out var error));
        Assert.Equal(TftpErrorCode.IllegalOperation, error.Code);
    }

    [Fact]
    public void TryParse_DuplicateOption_FailsWithOptionError()
    {
        Assert.False(TftpRequest.TryParse(Packets.Rrq("a", "blksize", "1468", "BlkSize", "512"), out _, out var error));
        Assert.Equal(TftpErrorCode.OptionNegotiation, error.Code);
    }

    [Fact]
    public void TryParse_ValuelessOption_FailsWithOptionError()
    {
        Assert.False(TftpRequest.TryParse(Packets.Rrq("a", "blksize"), out _, out var error));
        Assert.Equal(TftpErrorCode.OptionNegotiation, error.Code);
    }

    [Fact]
    public void TryParse_OptionNameWithoutNul_FailsWithIllegalOperation()
    {
        var datagram = Packets.Rrq("a").Concat("blksize"u8.ToArray()).ToArray();
        Assert.False(TftpRequest.TryParse(datagram, out _, out var error));
        Assert.Equal(TftpErrorCode.IllegalOperation, error.Code);
    }

    [Fact]
    public void TryParse_EmptyFilename_Fails()
    {
        Assert.False(TftpRequest.TryParse(Packets.Rrq(""), out _, out _));
    }

    [Fact]
    public void TryParse_InvalidUtf8Filename_FailsWithAccessViolation()
    {
        byte[] datagram = [0, 1, 0xC3, 0x28, 0, .. "octet"u8, 0];
        Assert.False(TftpRequest.TryParse(datagram, out _, out var error));
        Assert.Equal(TftpErrorCode.AccessViolation, error.Code);
    }

    [Fact]
    public void TryParse_NotARequest_Fails()
    {
        Assert.False(TftpRequest.TryParse(Packets.Ack(1), out _, out _));
    }

    [Fact]
    public void TryWrite_RoundTrips()
    {
        var request = new TftpRequest(TftpOpcode.ReadRequest, "boot/vmlinuz", TftpMode.Octet, [new("windowsize", "16")]);
        Span<byte> buffer = stackalloc byte[128];

        Assert.True(request.TryWrite(buffer, out int written));
        Assert.True(TftpRequest.TryParse(buffer[..written], out var parsed, out _));
        Assert.Equal(request.Filename, parsed!.Filename);
        Assert.Equal(request.Options, parsed.Options);
        Assert.False(request.TryWrite(buffer[..10], out _));
    }
}
