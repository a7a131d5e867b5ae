using Fabric.Cli.Output;

namespace Fabric.Appliance.Tests.Cli;

public sealed class SizesTests
{
    [Theory]
    [InlineData("512", 512L)]
    [InlineData("256M", 256L << 20)]
    [InlineData("256m", 256L << 20)]
    [InlineData("256MiB", 256L << 20)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData(" 1T ", 1L << 40)]
    [InlineData("4KiB", 4096L)]
    [InlineData("100MB", 100_000_000L)]
    [InlineData("1KB", 1_000L)]
    public void TryParse_WrittenSize_Bytes(string text, long expected)
    {
        Assert.True(Sizes.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("M")]
    [InlineData("MiB")]
    [InlineData("0")]
    [InlineData("-1M")]
    [InlineData("1.5G")]
    [InlineData("3XB")]
    [InlineData("1Mi")]
    [InlineData("99999999999T")]
    public void TryParse_NotASize_False(string text)
    {
        Assert.False(Sizes.TryParse(text, out _));
    }
}
