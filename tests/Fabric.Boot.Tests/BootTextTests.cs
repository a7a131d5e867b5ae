namespace Fabric.Boot.Tests;

public sealed class BootTextTests
{
    [Theory]
    [InlineData("hnode01", "hnode01")]
    [InlineData("52:54:00:12:34:01", "52:54:00:12:34:01")]
    [InlineData("http://10.99.0.1:8080/boot/files", "http://10.99.0.1:8080/boot/files")]
    [InlineData("nfs:10.0.0.5:/srv/roots/h_1", "nfs:10.0.0.5:/srv/roots/h_1")]
    [InlineData("aoe-md:e0.1,e1.1", "aoe-md:e0.1,e1.1")]
    [InlineData("rack 4", "rack_4")]
    [InlineData("a\nb\r\nc", "a_b__c")]
    [InlineData("${x}", "__x_")]
    [InlineData("{{x}}", "__x__")]
    [InlineData("a;b#c", "a_b_c")]
    [InlineData("'\"`\\|&<>", "________")]
    [InlineData("é", "_")]
    [InlineData("", "")]
    public void Escape_Value_KeepsOnlySafeCharacters(string value, string expected)
    {
        Assert.Equal(expected, BootText.Escape(value));
    }

    [Fact]
    public void Escape_Null_IsEmpty()
    {
        Assert.Equal(string.Empty, BootText.Escape(null));
    }
}
