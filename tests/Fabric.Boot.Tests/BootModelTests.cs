namespace Fabric.Boot.Tests;

public sealed class BootModelTests
{
    [Fact]
    public void From_NoBootFileServer_FilesUrlOnThePublicUrl()
    {
        var model = BootModel.From(Fixtures.Contexts["hw-aoe"], new BootRenderOptions());

        Assert.Equal("http://10.99.0.1:8080/boot/files", model.FilesUrl);
        Assert.Equal("http://10.99.0.1:8080", model.PublicUrl);
    }

    [Fact]
    public void From_BootFileServerOn_FilesUrlOnItsPortPublicUrlUnchanged()
    {
        var context = Fixtures.Contexts["hw-aoe"] with { Endpoints = Fixtures.Endpoints with { FilesBase = new Uri("http://10.99.0.1:8081") } };

        var model = BootModel.From(context, new BootRenderOptions());

        Assert.Equal("http://10.99.0.1:8081/boot/files", model.FilesUrl);
        Assert.Equal("http://10.99.0.1:8080", model.PublicUrl);
        Assert.Equal("http://10.99.0.1:8080/boot/52:54:00:12:34:01.ipxe", model.ScriptUrl);
    }
}
