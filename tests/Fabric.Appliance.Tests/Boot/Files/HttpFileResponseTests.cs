using System.Text;
using System.Text.Json;
using Fabric.Appliance.Boot.Files;

namespace Fabric.Appliance.Tests.Boot.Files;

public sealed class HttpFileResponseTests
{
    private const string Date = "Wed, 02 Dec 2026 08:00:00 GMT";
    private const string Modified = "Tue, 01 Dec 2026 10:00:00 GMT";

    [Fact]
    public void TryWriteFileHead_Partial_StatusRangeAndLengths()
    {
        var head = new FileResponseHead(206, "application/octet-stream", 1000, new ByteRange(100, 10), Modified, Date, KeepAlive: true);
        var buffer = new byte[HttpFileResponse.MaxHeadBytes];

        Assert.True(HttpFileResponse.TryWriteFileHead(buffer, head, out int written));

        Assert.Equal(
            "HTTP/1.1 206 Partial Content\r\nDate: " + Date + "\r\nContent-Type: application/octet-stream\r\nContent-Length: 10\r\n" +
            "Content-Range: bytes 100-109/1000\r\nAccept-Ranges: bytes\r\nLast-Modified: " + Modified + "\r\n\r\n",
            Encoding.ASCII.GetString(buffer, 0, written));
    }

    [Fact]
    public void TryWriteFileHead_WholeAndClose_NoContentRangeConnectionClose()
    {
        var head = new FileResponseHead(200, "text/plain", 8_247_232, new ByteRange(0, 8_247_232), Modified, Date, KeepAlive: false);
        var buffer = new byte[HttpFileResponse.MaxHeadBytes];

        Assert.True(HttpFileResponse.TryWriteFileHead(buffer, head, out int written));
        var text = Encoding.ASCII.GetString(buffer, 0, written);

        Assert.StartsWith("HTTP/1.1 200 OK\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Length: 8247232\r\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Content-Range", text, StringComparison.Ordinal);
        Assert.EndsWith("\r\nConnection: close\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void TryWriteFileHead_BufferTooSmall_False()
    {
        var head = new FileResponseHead(200, "text/plain", 1, new ByteRange(0, 1), Modified, Date, KeepAlive: true);

        Assert.False(HttpFileResponse.TryWriteFileHead(new byte[20], head, out int written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Error_NotFound_ProblemDetailsNamingTheField()
    {
        var bytes = HttpFileResponse.Error(404, "path", "no boot file 'a\"b'", Date, keepAlive: true);
        var text = Encoding.UTF8.GetString(bytes);
        int split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var body = text[(split + 4)..];

        Assert.StartsWith("HTTP/1.1 404 Not Found\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Type: application/problem+json\r\n", text, StringComparison.Ordinal);
        Assert.Contains($"\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n", text, StringComparison.Ordinal);
        var json = JsonDocument.Parse(body).RootElement;
        Assert.Equal(404, json.GetProperty("status").GetInt32());
        Assert.Equal("path: no boot file 'a\"b'", json.GetProperty("detail").GetString());
        Assert.Equal("no boot file 'a\"b'", json.GetProperty("errors").GetProperty("path")[0].GetString());
    }

    [Fact]
    public void Error_Unsatisfiable_ContentRangeStarAndHeadWithoutBody()
    {
        var full = Encoding.ASCII.GetString(HttpFileResponse.Error(416, "range", "past the end", Date, keepAlive: true, head: false, fileLength: 1000));
        var head = Encoding.ASCII.GetString(HttpFileResponse.Error(416, "range", "past the end", Date, keepAlive: true, head: true, fileLength: 1000));

        Assert.Contains("\r\nContent-Range: bytes */1000\r\n", full, StringComparison.Ordinal);
        Assert.StartsWith(head, full, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", head, StringComparison.Ordinal);
        Assert.True(full.Length > head.Length);
    }

    [Fact]
    public void Error_MethodNotAllowed_AllowAndClose()
    {
        var text = Encoding.ASCII.GetString(HttpFileResponse.Error(405, "method", "POST", Date, keepAlive: false));

        Assert.Contains("\r\nAllow: GET, HEAD\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\nConnection: close\r\n\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpDate_Utc_ImfFixdate()
    {
        Assert.Equal("Wed, 02 Dec 2026 08:00:00 GMT", HttpFileResponse.HttpDate(new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.FromHours(1))));
    }
}
