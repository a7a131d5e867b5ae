using Fabric.Core;

namespace Fabric.Core.Tests;

public class MacAddressTests
{
    [Theory]
    [InlineData("52:54:00:12:34:56")]
    [InlineData("52-54-00-12-34-56")]
    [InlineData("52:54:00:12:34:56 ")]
    [InlineData("5254.0012.3456")]
    [InlineData("525400123456")]
    public void TryParse_CommonNotations_GiveCanonicalForm(string text)
    {
        Assert.True(MacAddress.TryParse(text, out var mac));
        Assert.Equal("52:54:00:12:34:56", mac.ToString());
    }

    [Fact]
    public void TryParse_UpperCase_PrintsLowerCase()
    {
        Assert.Equal("52:54:00:ab:cd:ef", MacAddress.Parse("52:54:00:AB:CD:EF").ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52:54:00:12:34:56:78")]
    [InlineData("52:54-00:12:34:56")]
    [InlineData("5:254:00:12:34:56")]
    [InlineData("52::54:00:12:34:56")]
    [InlineData("zz:54:00:12:34:56")]
    [InlineData("52540012345")]
    [InlineData("525.400.123.456")]
    public void TryParse_Malformed_ReturnsFalse(string text)
    {
        Assert.False(MacAddress.TryParse(text, out _));
    }

    [Fact]
    public void Bytes_RoundTrip()
    {
        var mac = MacAddress.Parse("de:ad:be:ef:00:01");
        Assert.Equal(mac, MacAddress.FromBytes(mac.ToBytes()));
        Assert.Equal("de-ad-be-ef-00-01", mac.ToString('-'));
        Assert.Equal("deadbeef0001", mac.ToHexString());
    }
}
