using System.Text;
using Fabric.Appliance.Boot.Files;

namespace Fabric.Appliance.Tests.Boot.Files;

public sealed class HttpFileRequestTests
{
    private static HttpParseStatus Parse(string text, out HttpFileRequest? request, out int consumed, out string? problem) =>
        HttpFileRequest.TryParse(Encoding.ASCII.GetBytes(text), out request, out consumed, out problem);

    [Fact]
    public void TryParse_GetWithRangeAndIfRange_FieldsRead()
    {
        const string text = "GET /boot/files/vmlinuz HTTP/1.1\r\nHost: 10.0.0.1:8081\r\nRANGE: bytes=0-99\r\nif-range:  Tue, 01 Dec 2026 10:00:00 GMT \r\n\r\n";

        var status = Parse(text, out var request, out int consumed, out _);

        Assert.Equal(HttpParseStatus.Complete, status);
        Assert.Equal(text.Length, consumed);
        Assert.Equal(new HttpFileRequest("GET", "/boot/files/vmlinuz", true, "bytes=0-99", "Tue, 01 Dec 2026 10:00:00 GMT", false), request);
    }

    [Theory]
    [InlineData("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", true)]
    [InlineData("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false)]
    [InlineData("GET /a HTTP/1.1\r\nHost: x\r\nConnection: TE, Close\r\n\r\n", false)]
    [InlineData("GET /a HTTP/1.0\r\n\r\n", false)]
    [InlineData("GET /a HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true)]
    public void TryParse_ConnectionField_KeepAliveAsRfc9112(string text, bool keepAlive)
    {
        Assert.Equal(HttpParseStatus.Complete, Parse(text, out var request, out _, out _));
        Assert.Equal(keepAlive, request!.KeepAlive);
    }

    [Theory]
    [InlineData("")]
    [InlineData("GET /boot/files/vmlinuz HTTP/1.1\r\n")]
    [InlineData("GET /boot/files/vmlinuz HTTP/1.1\r\nHost: x\r\n\r")]
    public void TryParse_HeadNotEnded_Incomplete(string text)
    {
        Assert.Equal(HttpParseStatus.Incomplete, Parse(text, out var request, out int consumed, out _));
        Assert.Null(request);
        Assert.Equal(0, consumed);
    }

    [Fact]
    public void TryParse_TwoPipelinedRequests_ConsumesTheFirstOnly()
    {
        const string first = "HEAD /boot/files/a HTTP/1.1\r\nHost: x\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes(first + "GET /boot/files/b HTTP/1.1\r\nHost: x\r\n\r\n");

        Assert.Equal(HttpParseStatus.Complete, HttpFileRequest.TryParse(bytes, out var one, out int consumed, out _));
        Assert.Equal(HttpParseStatus.Complete, HttpFileRequest.TryParse(bytes.AsSpan(consumed), out var two, out _, out _));

        Assert.Equal(first.Length, consumed);
        Assert.True(one!.IsHead);
        Assert.Equal("/boot/files/a", one.Path);
        Assert.Equal("/boot/files/b", two!.Path);
    }

    [Theory]
    [InlineData("/boot/files/a%20b.img?x=1#f", "/boot/files/a b.img")]
    [InlineData("/boot/files/%2e%2e/secret", "/boot/files/../secret")]
    [InlineData("/boot/files/caf%C3%A9", "/boot/files/café")]
    public void TryParse_EncodedPath_DecodedWithoutQuery(string target, string path)
    {
        Assert.Equal(HttpParseStatus.Complete, Parse($"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n", out var request, out _, out _));
        Assert.Equal(path, request!.Path);
    }

    [Theory]
    [InlineData("GET /a HTTP/1.1\r\n\r\n", "Host")]
    [InlineData("GET /a HTTP/2.0\r\nHost: x\r\n\r\n", "HTTP/1.0 and HTTP/1.1")]
    [InlineData("GET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n", "starting with '/'")]
    [InlineData("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", "percent-encoded")]
    [InlineData("GET /a%ff HTTP/1.1\r\nHost: x\r\n\r\n", "UTF-8")]
    [InlineData("GET /a HTTP/1.1\r\nHost : x\r\n\r\n", "Name: value")]
    [InlineData("GET /a HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", "Name: value")]
    [InlineData("GET /a HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", "Content-Length")]
    [InlineData("G(T /a HTTP/1.1\r\nHost: x\r\n\r\n", "request line")]
    [InlineData("GET\r\nHost: x\r\n\r\n", "request line")]
    [InlineData("\u0016\u0003\u0001\u0002\u0000\r\n\r\n", "request line")]
    public void TryParse_Malformed_InvalidNamingTheProblem(string text, string problemContains)
    {
        Assert.Equal(HttpParseStatus.Invalid, Parse(text, out var request, out _, out var problem));
        Assert.Null(request);
        Assert.Contains(problemContains, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_HeadLongerThanLimit_TooLarge()
    {
        var text = "GET /a HTTP/1.1\r\nHost: x\r\nX-Pad: " + new string('a', HttpFileRequest.MaxHeadBytes) + "\r\n\r\n";

        Assert.Equal(HttpParseStatus.TooLarge, Parse(text, out _, out _, out _));
        Assert.Equal(HttpParseStatus.TooLarge, Parse(text[..HttpFileRequest.MaxHeadBytes], out _, out _, out _));
    }

    [Theory]
    [InlineData("Content-Length: 0", false)]
    [InlineData("Content-Length: 12", true)]
    [InlineData("Transfer-Encoding: chunked", true)]
    public void TryParse_BodyAnnounced_HasBody(string field, bool hasBody)
    {
        Assert.Equal(HttpParseStatus.Complete, Parse($"POST /boot/files/a HTTP/1.1\r\nHost: x\r\n{field}\r\n\r\n", out var request, out _, out _));
        Assert.Equal(hasBody, request!.HasBody);
        Assert.False(request.IsGetOrHead);
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        var random = new Random(14);
        var prefix = Encoding.ASCII.GetBytes("GET /boot/files/x HTTP/1.1\r\nHost: y\r\nRange: bytes=");
        for (int i = 0; i < 5000; i++)
        {
            var bytes = new byte[random.Next(0, 300)];
            random.NextBytes(bytes);
            if (i % 2 == 0)
            {
                bytes = [.. prefix, .. bytes, .. "\r\n\r\n"u8];
            }

            var status = HttpFileRequest.TryParse(bytes, out var request, out int consumed, out var problem);

            Assert.Equal(status == HttpParseStatus.Complete, request is not null);
            Assert.Equal(status == HttpParseStatus.Invalid, problem is not null);
            Assert.InRange(consumed, 0, bytes.Length);
        }
    }
}
