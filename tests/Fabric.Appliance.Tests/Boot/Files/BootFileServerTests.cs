using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Fabric.Appliance.Boot.Files;
using Fabric.Appliance.Tests.Api;
using Microsoft.Extensions.DependencyInjection;

namespace Fabric.Appliance.Tests.Boot.Files;

/// <summary>The boot file server on 127.0.0.1 (port 0) inside a real appliance, fetched with HttpClient, curl and raw
/// sockets.</summary>
public sealed class BootFileServerTests : IAsyncLifetime
{
    private ApplianceHost _host = null!;
    private HttpClient _files = null!;
    private Uri _base = null!;
    private byte[] _kernel = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync(new Dictionary<string, string?> { ["Fabric:BootFiles:Endpoint"] = "127.0.0.1:0" }, withRenderer: false);
        var endpoint = _host.App.Services.GetRequiredService<BootFileServer>().LocalEndpoint!;
        _base = new Uri($"http://127.0.0.1:{endpoint.Port}");
        _files = new HttpClient { BaseAddress = _base };
        _kernel = new byte[3_000_000];
        new Random(14).NextBytes(_kernel);
        await File.WriteAllBytesAsync(Path.Combine(_host.BootDir, "vmlinuz"), _kernel);
        await File.WriteAllBytesAsync(Path.Combine(_host.BootDir, "empty.img"), []);
        Directory.CreateDirectory(Path.Combine(_host.BootDir, "efi"));
        await File.WriteAllTextAsync(Path.Combine(_host.BootDir, "efi", "grub.cfg"), "menuentry");
        await File.WriteAllTextAsync(Path.Combine(_host.DataDir, "secret.txt"), "outside");
    }

    public async Task DisposeAsync()
    {
        _files.Dispose();
        await _host.DisposeAsync();
    }

    [Fact]
    public async Task Get_WholeFile_AllBytesWithLengthTypeAndRanges()
    {
        using var response = await _files.GetAsync("/boot/files/vmlinuz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_kernel, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(_kernel.Length, response.Content.Headers.ContentLength);
        Assert.Equal("application/octet-stream", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("bytes", response.Headers.AcceptRanges);
        Assert.NotNull(response.Content.Headers.LastModified);
        Assert.Equal("menuentry", await _files.GetStringAsync("/boot/files/efi/grub.cfg"));
        Assert.Empty(await _files.GetByteArrayAsync("/boot/files/empty.img"));
    }

    [Theory]
    [InlineData(1000L, 1999L, 1000, 1000)]
    [InlineData(2_999_990L, null, 2_999_990, 10)]
    [InlineData(null, 5L, 2_999_995, 5)]
    public async Task Get_Range_206WithThoseBytes(long? from, long? to, int start, int length)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/boot/files/vmlinuz");
        request.Headers.Range = new RangeHeaderValue(from, to);

        using var response = await _files.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(_kernel.AsSpan(start, length).ToArray(), await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(start, response.Content.Headers.ContentRange!.From);
        Assert.Equal(start + length - 1, response.Content.Headers.ContentRange.To);
        Assert.Equal(_kernel.Length, response.Content.Headers.ContentRange.Length);
    }

    [Fact]
    public async Task Get_RangePastTheEnd_416NamingRange()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/boot/files/vmlinuz");
        request.Headers.Range = new RangeHeaderValue(5_000_000, null);

        using var response = await _files.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, "range");
        Assert.Equal(_kernel.Length, response.Content.Headers.ContentRange!.Length);
    }

    [Fact]
    public async Task Head_File_LengthWithoutBody()
    {
        using var request = new HttpRequestMessage(HttpMethod.Head, "/boot/files/vmlinuz");

        using var response = await _files.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(_kernel.Length, response.Content.Headers.ContentLength);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, (await _files.GetAsync("/boot/files/efi/grub.cfg")).StatusCode); // the connection goes on
    }

    [Theory]
    [InlineData("/boot/files/nothing.img")]
    [InlineData("/boot/files/efi")]
    [InlineData("/boot/files/")]
    [InlineData("/boot/52:54:00:00:00:01.ipxe")]
    [InlineData("/api/v1/nodes")]
    public async Task Get_NotABootFile_404ProblemNamingPath(string path)
    {
        await ProblemAssert.IsProblemAsync(await _files.GetAsync(path), HttpStatusCode.NotFound, "path");
    }

    [Fact]
    public async Task Get_SymlinkLeavingBootDir_404()
    {
        File.CreateSymbolicLink(Path.Combine(_host.BootDir, "escape"), Path.Combine(_host.DataDir, "secret.txt"));
        Directory.CreateSymbolicLink(Path.Combine(_host.BootDir, "up"), _host.DataDir);

        await ProblemAssert.IsProblemAsync(await _files.GetAsync("/boot/files/escape"), HttpStatusCode.NotFound, "path");
        await ProblemAssert.IsProblemAsync(await _files.GetAsync("/boot/files/up/admin.token"), HttpStatusCode.NotFound, "path");
    }

    [Theory]
    [InlineData("/boot/files/../secret.txt")]
    [InlineData("/boot/files/%2e%2e/secret.txt")]
    [InlineData("/boot/files/..%2fsecret.txt")]
    [InlineData("/boot/files/efi/..%2f..%2fsecret.txt")]
    [InlineData("/boot/files/%2e%2e%2f%2e%2e%2fadmin.token")]
    [InlineData("/boot/files/..%5csecret.txt")]
    [InlineData("/boot/files/vmlinuz%00.txt")]
    public async Task Get_EscapeInRawRequest_NeverServesOutsideFile(string path)
    {
        var response = await RawAsync($"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.DoesNotContain("outside", response, StringComparison.Ordinal);
        Assert.DoesNotContain(_host.AdminToken, response, StringComparison.Ordinal);
        Assert.StartsWith("HTTP/1.1 404 ", response, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET /boot/files/vmlinuz HTTP/1.1\r\n\r\n", "HTTP/1.1 400 ", "Host")]
    [InlineData("GARBAGE\r\n\r\n", "HTTP/1.1 400 ", "request line")]
    [InlineData("POST /boot/files/vmlinuz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "HTTP/1.1 405 ", "GET and HEAD")]
    public async Task Request_Malformed_ErrorWithReasonAndClose(string request, string status, string reason)
    {
        var response = await RawAsync(request);

        Assert.StartsWith(status, response, StringComparison.Ordinal);
        Assert.Contains("Connection: close", response, StringComparison.Ordinal);
        Assert.Contains(reason, response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Request_HeadTooLarge_431()
    {
        var response = await RawAsync("GET /boot/files/vmlinuz HTTP/1.1\r\nHost: x\r\nX-Pad: " + new string('a', 9000) + "\r\n\r\n");

        Assert.StartsWith("HTTP/1.1 431 ", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_PipelinedOnOneConnection_BothAnsweredInOrder()
    {
        var response = await RawAsync(
            "GET /boot/files/efi/grub.cfg HTTP/1.1\r\nHost: x\r\n\r\nGET /boot/files/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        int first = response.IndexOf("HTTP/1.1 200 OK", StringComparison.Ordinal);
        int second = response.IndexOf("HTTP/1.1 404 Not Found", StringComparison.Ordinal);
        Assert.True(first == 0 && second > first, response);
        Assert.Contains("menuentry", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_Curl_WholeFileAndRangeMatch()
    {
        var whole = Path.Combine(_host.DataDir, "curl-whole");
        var part = Path.Combine(_host.DataDir, "curl-part");

        var (code, output) = await RunAsync("curl", $"-sSf -o {whole} {_base}boot/files/vmlinuz --next -sSf -r 100-199 -o {part} {_base}boot/files/vmlinuz");

        Assert.True(code == 0, output);
        Assert.Equal(_kernel, await File.ReadAllBytesAsync(whole));
        Assert.Equal(_kernel[100..200], await File.ReadAllBytesAsync(part));
    }

    [Fact]
    public async Task Get_200Concurrent_EveryBodyWhole()
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 200 };
        using var client = new HttpClient(handler) { BaseAddress = _base, Timeout = TimeSpan.FromMinutes(2) };

        var bodies = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => client.GetByteArrayAsync("/boot/files/vmlinuz")));

        Assert.All(bodies, b => Assert.True(b.AsSpan().SequenceEqual(_kernel)));
    }

    [Fact]
    public async Task Script_BootFileServerOn_KernelAndInitrdNamedOnItsPort()
    {
        await _host.AddNetworkAsync(new { name = "loop", cidr = "127.0.0.0/24" });
        await _host.AddNodeAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "127.0.0.1" });

        var script = await _host.Client.GetStringAsync("/boot/52:54:00:00:00:01.ipxe");

        Assert.Contains($"kernel {_base}boot/files/vmlinuz ", script, StringComparison.Ordinal);
        Assert.Contains($"initrd {_base}boot/files/initrd.img ", script, StringComparison.Ordinal);
        Assert.Contains($"fabric.url={_host.BaseAddress.ToString().TrimEnd('/')} ", script, StringComparison.Ordinal);
        Assert.Equal(_kernel, await _host.Client.GetByteArrayAsync("/boot/files/vmlinuz")); // the main server still serves them
    }

    private async Task<string> RawAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _base.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await reader.ReadToEndAsync(timeout.Token);
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
