using System.Globalization;
using System.Text;
using System.Text.Json;
using Fabric.Appliance.Api;

namespace Fabric.Appliance.Boot.Files;

/// <summary>The head of a file response (200 or 206): what the server writes before the file's bytes.</summary>
/// <param name="Status">200, or 206 with <paramref name="Range"/>.</param>
/// <param name="ContentType">The file's media type.</param>
/// <param name="FileLength">The whole file's length (for <c>Content-Range</c>).</param>
/// <param name="Range">The bytes sent: the whole file for 200.</param>
/// <param name="LastModified">The file's modification time as an HTTP-date (<see cref="HttpFileResponse.HttpDate"/>).</param>
/// <param name="Date">Now, as an HTTP-date.</param>
/// <param name="KeepAlive">Whether the connection stays open after the response.</param>
internal sealed record FileResponseHead(int Status, string ContentType, long FileLength, ByteRange Range, string LastModified, string Date, bool KeepAlive);

/// <summary>
/// Writes the boot file server's responses as bytes (RFC 9112): file heads, and errors as RFC 9457 problem details
/// shaped like the API's (<c>status</c>, <c>title</c>, <c>detail</c>, <c>errors</c> naming the field). No I/O.
/// </summary>
internal static class HttpFileResponse
{
    /// <summary>Room enough for any head this server writes.</summary>
    public const int MaxHeadBytes = 1024;

    /// <summary>The IMF-fixdate form of RFC 9110 section 5.6.7, e.g. <c>Sun, 06 Nov 1994 08:49:37 GMT</c>.</summary>
    public static string HttpDate(DateTimeOffset time) => time.UtcDateTime.ToString("r", CultureInfo.InvariantCulture);

    /// <summary>Writes a 200 or 206 head; false when <paramref name="destination"/> is too small.</summary>
    public static bool TryWriteFileHead(Span<byte> destination, FileResponseHead head, out int written)
    {
        ArgumentNullException.ThrowIfNull(head);
        var text = new StringBuilder(256);
        text.Append(head.Status == 206 ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n");
        text.Append("Date: ").Append(head.Date).Append("\r\n");
        text.Append("Content-Type: ").Append(head.ContentType).Append("\r\n");
        text.Append("Content-Length: ").Append(head.Range.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        if (head.Status == 206)
        {
            text.Append(CultureInfo.InvariantCulture, $"Content-Range: bytes {head.Range.Start}-{head.Range.End}/{head.FileLength}\r\n");
        }

        text.Append("Accept-Ranges: bytes\r\n");
        text.Append("Last-Modified: ").Append(head.LastModified).Append("\r\n");
        text.Append(head.KeepAlive ? "\r\n" : "Connection: close\r\n\r\n");
        return TryAscii(text.ToString(), destination, out written);
    }

    /// <summary>
    /// Writes a whole error response: status line, fields and a problem-details body naming <paramref name="field"/>
    /// (<c>{"type":...,"title":...,"status":404,"detail":"path: no boot file 'x'","errors":{"path":["no boot file 'x'"]}}</c>).
    /// <paramref name="fileLength"/> adds <c>Content-Range: bytes */N</c> (416); <paramref name="head"/> leaves the body
    /// out but keeps its length. Returns the bytes.
    /// </summary>
    public static byte[] Error(int status, string field, string reason, string date, bool keepAlive, bool head = false, long? fileLength = null)
    {
        var body = ProblemBody(status, field, reason);
        var text = new StringBuilder(256);
        text.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} {ReasonPhrase(status)}\r\n");
        text.Append("Date: ").Append(date).Append("\r\n");
        text.Append("Content-Type: application/problem+json\r\n");
        text.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n");
        if (status == 405)
        {
            text.Append("Allow: GET, HEAD\r\n");
        }

        if (fileLength is long length)
        {
            text.Append(CultureInfo.InvariantCulture, $"Content-Range: bytes */{length}\r\n");
        }

        text.Append(keepAlive ? "\r\n" : "Connection: close\r\n\r\n");
        var headBytes = Encoding.ASCII.GetBytes(text.ToString());
        return head ? headBytes : [.. headBytes, .. body];
    }

    /// <summary>The problem-details JSON, as <see cref="Problems.Field"/> shapes it for the API.</summary>
    internal static byte[] ProblemBody(int status, string field, string reason)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", Problems.TypeFor(status));
            json.WriteString("title", Title(status));
            json.WriteNumber("status", status);
            json.WriteString("detail", $"{field}: {reason}");
            json.WriteStartObject("errors");
            json.WriteStartArray(field);
            json.WriteStringValue(reason);
            json.WriteEndArray();
            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static string Title(int status) => status switch
    {
        400 => "The request is not valid",
        404 => "Not found",
        405 => "Method not allowed",
        416 => "Range not satisfiable",
        431 => "Request header fields too large",
        _ => ReasonPhrase(status),
    };

    private static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        416 => "Range Not Satisfiable",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        _ => "Error",
    };

    private static bool TryAscii(string text, Span<byte> destination, out int written)
    {
        written = 0;
        if (text.Length > destination.Length)
        {
            return false;
        }

        written = Encoding.ASCII.GetBytes(text, destination);
        return true;
    }
}
