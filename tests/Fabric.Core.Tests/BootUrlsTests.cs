namespace Fabric.Core.Tests;

public sealed class BootUrlsTests
{
    [Theory]
    [InlineData("http://10.0.0.1:8080", "http://10.0.0.1:8080/boot/52:54:00:12:34:56.ipxe")]
    [InlineData("http://10.0.0.1:8080/", "http://10.0.0.1:8080/boot/52:54:00:12:34:56.ipxe")]
    public void Script_BaseWithOrWithoutSlash_OneSlash(string baseUrl, string expected) =>
        Assert.Equal(expected, BootUrls.Script(baseUrl, "52:54:00:12:34:56"));

    [Fact]
    public void FilesAndFile_Base_UnderBootFiles()
    {
        Assert.Equal("http://a:1/boot/files", BootUrls.Files("http://a:1/"));
        Assert.Equal("http://a:1/boot/files/ipxe.efi", BootUrls.File("http://a:1", "ipxe.efi"));
        Assert.Equal("http://a:1/boot/files/efi/ipxe.efi", BootUrls.File("http://a:1", "/efi/ipxe.efi"));
    }

    [Fact]
    public void Routes_MatchTheUrls() =>
        Assert.Equal("/boot/{mac}.ipxe", BootUrls.Prefix + BootUrls.ScriptRoute);
}
