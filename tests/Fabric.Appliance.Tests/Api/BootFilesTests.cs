using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace Fabric.Appliance.Tests.Api;

public sealed class BootFilesTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;
    private byte[] _kernel = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        _kernel = new byte[100_000];
        new Random(42).NextBytes(_kernel);
        await File.WriteAllBytesAsync(Path.Combine(_host.BootDir, "vmlinuz"), _kernel);
        Directory.CreateDirectory(Path.Combine(_host.BootDir, "efi"));
        await File.WriteAllTextAsync(Path.Combine(_host.BootDir, "efi", "grub.cfg"), "menuentry");
        await File.WriteAllTextAsync(Path.Combine(_host.DataDir, "secret.txt"), "outside");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Get_WholeFile_AllBytesAnonymously()
    {
        var bytes = await _host.Client.GetByteArrayAsync("/boot/files/vmlinuz");

        Assert.Equal(_kernel, bytes);
        Assert.Equal("menuentry", await _host.Client.GetStringAsync("/boot/files/efi/grub.cfg"));
    }

    [Fact]
    public async Task Get_Range_206WithThoseBytes()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/boot/files/vmlinuz");
        request.Headers.Range = new RangeHeaderValue(1000, 1999);

        var response = await _host.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(_kernel[1000..2000], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(100_000, response.Content.Headers.ContentRange!.Length);
        Assert.Contains("bytes", response.Headers.AcceptRanges);
    }

    [Fact]
    public async Task Get_SymlinkLeavingBootDir_Refused()
    {
        File.CreateSymbolicLink(Path.Combine(_host.BootDir, "escape"), Path.Combine(_host.DataDir, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_host.BootDir, "up"), _host.DataDir);

        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/boot/files/escape"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/boot/files/up/secret.txt"), HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/boot/files/up/admin.token"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Get_SymlinkInsideBootDir_Served()
    {
        File.CreateSymbolicLink(Path.Combine(_host.BootDir, "kernel"), "vmlinuz");

        Assert.Equal(_kernel, await _host.Client.GetByteArrayAsync("/boot/files/kernel"));
    }

    [Theory]
    [InlineData("/boot/files/../secret.txt")]
    [InlineData("/boot/files/%2e%2e/secret.txt")]
    [InlineData("/boot/files/..%2fsecret.txt")]
    [InlineData("/boot/files/efi/..%2f..%2fsecret.txt")]
    [InlineData("/boot/files/%2e%2e%2f%2e%2e%2fadmin.token")]
    public async Task Get_DotDotInRawRequest_NeverServesOutsideFile(string path)
    {
        // Sent byte for byte, so no client normalises the path first.
        var response = await RawGetAsync(path);

        Assert.DoesNotContain("outside", response, StringComparison.Ordinal);
        Assert.DoesNotContain(_host.AdminToken, response, StringComparison.Ordinal);
        Assert.Matches("^HTTP/1.1 (400|404) ", response);
    }

    [Fact]
    public async Task Get_Missing_404()
    {
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/boot/files/nothing.img"), HttpStatusCode.NotFound, "path");
    }

    private async Task<string> RawGetAsync(string path)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(_host.BaseAddress.Host, _host.BaseAddress.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }
}
