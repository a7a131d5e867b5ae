using Fabric.Tftp.Commands;

namespace Fabric.Tftp.Tests.Commands;

public class TftpOptionNegotiatorTests
{
    private static readonly TftpNegotiationLimits Limits = new();

    private static TftpNegotiatedOptions Negotiate(params (string Name, string Value)[] options) =>
        TftpOptionNegotiator.Negotiate([.. options.Select(o => new TftpOption(o.Name, o.Value))], 1000, Limits);

    [Fact]
    public void Negotiate_NoOptions_PlainRfc1350()
    {
        var result = TftpOptionNegotiator.Negotiate([], 1000, Limits);
        Assert.Equal(512, result.BlockSize);
        Assert.Equal(1, result.WindowSize);
        Assert.Empty(result.Accepted);
    }

    [Fact]
    public void Negotiate_AllKnownOptions_AcceptsEach()
    {
        var result = Negotiate(("blksize", "1468"), ("tsize", "0"), ("timeout", "3"), ("windowsize", "16"), ("multicast", ""));
        Assert.Equal(1468, result.BlockSize);
        Assert.Equal(16, result.WindowSize);
        Assert.Equal(TimeSpan.FromSeconds(3), result.Timeout);
        Assert.Equal(
            [new("blksize", "1468"), new("tsize", "1000"), new("timeout", "3"), new("windowsize", "16")],
            result.Accepted);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("7")]
    [InlineData("65465")]
    [InlineData("65536")]
    [InlineData("text")]
    [InlineData("")]
    [InlineData("-512")]
    [InlineData(" 512")]
    [InlineData("99999999999999999999")]
    public void Negotiate_BlksizeOutOfRange_IgnoresOption(string value)
    {
        var result = Negotiate(("blksize", value));
        Assert.Equal(512, result.BlockSize);
        Assert.Empty(result.Accepted);
    }

    [Theory]
    [InlineData("8", 8)]
    [InlineData("65464", 65464)]
    public void Negotiate_BlksizeAtBounds_Accepted(string value, int expected)
    {
        Assert.Equal(expected, Negotiate(("blksize", value)).BlockSize);
    }

    [Fact]
    public void Negotiate_BlksizeAboveServerLimit_AnswersServerLimit()
    {
        var result = TftpOptionNegotiator.Negotiate([new("blksize", "9000")], 10, new TftpNegotiationLimits(MaxBlockSize: 1468));
        Assert.Equal(1468, result.BlockSize);
        Assert.Equal([new TftpOption("blksize", "1468")], result.Accepted);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    public void Negotiate_TsizeNegativeOrText_IgnoresOption(string value)
    {
        Assert.Empty(Negotiate(("tsize", value)).Accepted);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("256")]
    [InlineData("x")]
    public void Negotiate_TimeoutOutOfRange_IgnoresOption(string value)
    {
        var result = Negotiate(("timeout", value));
        Assert.Null(result.Timeout);
        Assert.Empty(result.Accepted);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("65536")]
    [InlineData("4294967296")]
    [InlineData("many")]
    public void Negotiate_WindowsizeInvalid_IgnoresOption(string value)
    {
        var result = Negotiate(("windowsize", value));
        Assert.Equal(1, result.WindowSize);
        Assert.Empty(result.Accepted);
    }

    [Fact]
    public void Negotiate_HugeWindowsize_AnswersServerMaximum()
    {
        var result = Negotiate(("windowsize", "65535"));
        Assert.Equal(64, result.WindowSize);
        Assert.Equal([new TftpOption("windowsize", "64")], result.Accepted);
    }

    [Fact]
    public void Negotiate_TsizeOfEmptyFile_Omitted()
    {
        var result = TftpOptionNegotiator.Negotiate([new("tsize", "0"), new("blksize", "1468")], 0, Limits);
        Assert.Equal([new TftpOption("blksize", "1468")], result.Accepted);
    }

    [Fact]
    public void Negotiate_OnlyUnknownOptions_NoOack()
    {
        Assert.Empty(Negotiate(("rollover", "0")).Accepted);
    }
}
