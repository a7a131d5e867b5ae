using System.Text;

namespace Fabric.Appliance.Boot.Files;

/// <summary>What <see cref="HttpFileRequest.TryParse"/> made of the bytes received so far.</summary>
internal enum HttpParseStatus
{
    /// <summary>The request head is not complete yet: receive more.</summary>
    Incomplete,

    /// <summary>A whole request head was read.</summary>
    Complete,

    /// <summary>The bytes are not an HTTP/1.x request this server takes (answer 400 and close).</summary>
    Invalid,

    /// <summary>The request head is longer than <see cref="HttpFileRequest.MaxHeadBytes"/> (answer 431 and close).</summary>
    TooLarge,
}

/// <summary>
/// One HTTP/1.1 request head (RFC 9112) as the boot file server needs it: the method, the decoded path, whether the
/// connection stays open, and the <c>Range</c> and <c>If-Range</c> fields. Parsed from bytes with no I/O.
/// </summary>
/// <param name="Method">The request method as sent (case-sensitive, RFC 9110 section 9.1).</param>
/// <param name="Path">The request target's path, percent-decoded as UTF-8, without the query.</param>
/// <param name="KeepAlive">HTTP/1.1 unless <c>Connection: close</c>; HTTP/1.0 only with <c>Connection: keep-alive</c>.</param>
/// <param name="Range">The <c>Range</c> field, or null.</param>
/// <param name="IfRange">The <c>If-Range</c> field, or null.</param>
/// <param name="HasBody">The request announces a body (<c>Content-Length</c> above 0 or <c>Transfer-Encoding</c>): the
/// server does not read it, so it answers and closes the connection.</param>
internal sealed record HttpFileRequest(string Method, string Path, bool KeepAlive, string? Range, string? IfRange, bool HasBody)
{
    /// <summary>The longest request head taken (request line and fields), as Kestrel's default of 32 KiB is far more than
    /// any boot client sends.</summary>
    public const int MaxHeadBytes = 8192;

    public bool IsHead => Method == "HEAD";

    public bool IsGetOrHead => Method is "GET" or "HEAD";

    /// <summary>
    /// Parses the request head at the start of <paramref name="input"/>. <paramref name="consumed"/> is the length of the
    /// head (the next request of a pipelining client starts there); <paramref name="problem"/> says what is wrong when
    /// the result is <see cref="HttpParseStatus.Invalid"/>.
    /// </summary>
    public static HttpParseStatus TryParse(ReadOnlySpan<byte> input, out HttpFileRequest? request, out int consumed, out string? problem)
    {
        request = null;
        consumed = 0;
        problem = null;
        int end = input.IndexOf("\r\n\r\n"u8);
        if (end < 0)
        {
            return input.Length >= MaxHeadBytes ? HttpParseStatus.TooLarge : HttpParseStatus.Incomplete;
        }

        if (end + 4 > MaxHeadBytes)
        {
            return HttpParseStatus.TooLarge;
        }

        consumed = end + 4;
        var head = input[..end];
        int lineEnd = head.IndexOf("\r\n"u8);
        var requestLine = lineEnd < 0 ? head : head[..lineEnd];
        var fields = lineEnd < 0 ? [] : head[(lineEnd + 2)..];

        if (!TryRequestLine(requestLine, out var method, out var path, out bool http11, out problem))
        {
            return HttpParseStatus.Invalid;
        }

        bool close = false, keepAlive = false, hasHost = false, hasBody = false;
        string? range = null, ifRange = null;
        while (!fields.IsEmpty)
        {
            int next = fields.IndexOf("\r\n"u8);
            var line = next < 0 ? fields : fields[..next];
            fields = next < 0 ? [] : fields[(next + 2)..];
            if (!TryField(line, out var name, out var value, out problem))
            {
                return HttpParseStatus.Invalid;
            }

            if (Is(name, "connection"u8))
            {
                foreach (var token in Encoding.ASCII.GetString(value).Split(',', StringSplitOptions.TrimEntries))
                {
                    close |= token.Equals("close", StringComparison.OrdinalIgnoreCase);
                    keepAlive |= token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase);
                }
            }
            else if (Is(name, "host"u8))
            {
                hasHost = true;
            }
            else if (Is(name, "range"u8))
            {
                range = Encoding.ASCII.GetString(value);
            }
            else if (Is(name, "if-range"u8))
            {
                ifRange = Encoding.ASCII.GetString(value);
            }
            else if (Is(name, "transfer-encoding"u8))
            {
                hasBody = true;
            }
            else if (Is(name, "content-length"u8))
            {
                if (!TryDigits(value, out long length))
                {
                    problem = "Content-Length is not a number";
                    return HttpParseStatus.Invalid;
                }

                hasBody |= length > 0;
            }
        }

        // RFC 9112 section 3.2: a server responds 400 to an HTTP/1.1 request without a Host field.
        if (http11 && !hasHost)
        {
            problem = "an HTTP/1.1 request needs a Host field";
            return HttpParseStatus.Invalid;
        }

        request = new HttpFileRequest(method, path, http11 ? !close : keepAlive && !close, range, ifRange, hasBody);
        return HttpParseStatus.Complete;
    }

    /// <summary><c>METHOD SP origin-form SP HTTP/1.x</c> (RFC 9112 section 3).</summary>
    private static bool TryRequestLine(ReadOnlySpan<byte> line, out string method, out string path, out bool http11, out string? problem)
    {
        method = path = "";
        http11 = false;
        problem = "the request line is not 'METHOD /path HTTP/1.1'";
        int first = line.IndexOf((byte)' ');
        int last = line.LastIndexOf((byte)' ');
        if (first <= 0 || last <= first + 1)
        {
            return false;
        }

        var methodBytes = line[..first];
        var target = line[(first + 1)..last];
        var version = line[(last + 1)..];
        if (!IsToken(methodBytes) || target.IndexOf((byte)' ') >= 0)
        {
            return false;
        }

        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            http11 = true;
        }
        else if (!version.SequenceEqual("HTTP/1.0"u8))
        {
            problem = "only HTTP/1.0 and HTTP/1.1 are served here";
            return false;
        }

        method = Encoding.ASCII.GetString(methodBytes);
        if (target.IsEmpty || target[0] != (byte)'/')
        {
            problem = "the request target is not a path starting with '/'";
            return false;
        }

        int query = target.IndexOfAny((byte)'?', (byte)'#');
        if (query >= 0)
        {
            target = target[..query];
        }

        if (!TryPercentDecode(target, out path))
        {
            problem = "the path is not percent-encoded UTF-8";
            return false;
        }

        problem = null;
        return true;
    }

    /// <summary><c>name ":" OWS value OWS</c>; no space before the colon and no line folding (RFC 9112 section 5).</summary>
    private static bool TryField(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value, out string? problem)
    {
        name = value = default;
        problem = "a header field is not 'Name: value'";
        int colon = line.IndexOf((byte)':');
        if (colon <= 0 || !IsToken(line[..colon]))
        {
            return false;
        }

        name = line[..colon];
        value = line[(colon + 1)..].Trim(" \t"u8);
        foreach (byte b in value)
        {
            if (b is < 0x20 and not (byte)'\t' || b == 0x7f)
            {
                problem = "a header field holds a control character";
                return false;
            }
        }

        problem = null;
        return true;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lowerCase)
    {
        if (name.Length != lowerCase.Length)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            if ((name[i] | 0x20) != lowerCase[i])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>RFC 9110 section 5.6.2 token characters.</summary>
    private static bool IsToken(ReadOnlySpan<byte> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (byte b in text)
        {
            bool ok = b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
                || "!#$%&'*+-.^_`|~"u8.IndexOf(b) >= 0;
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Digits only, no sign; false on anything else or on overflow.</summary>
    internal static bool TryDigits(ReadOnlySpan<byte> text, out long value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 18)
        {
            return false;
        }

        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static bool TryPercentDecode(ReadOnlySpan<byte> target, out string path)
    {
        path = "";
        Span<byte> bytes = target.Length <= 512 ? stackalloc byte[target.Length] : new byte[target.Length];
        int n = 0;
        for (int i = 0; i < target.Length; i++)
        {
            byte b = target[i];
            if (b == (byte)'%')
            {
                if (i + 2 >= target.Length || !IsHex(target[i + 1]) || !IsHex(target[i + 2]))
                {
                    return false;
                }

                b = (byte)((Hex(target[i + 1]) << 4) | Hex(target[i + 2]));
                i += 2;
            }
            else if (b is <= 0x20 or >= 0x7f)
            {
                return false;
            }

            bytes[n++] = b;
        }

        try
        {
            path = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes[..n]);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static bool IsHex(byte b) => b is (>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f') or (>= (byte)'A' and <= (byte)'F');

    private static int Hex(byte b) => b <= '9' ? b - '0' : (b | 0x20) - 'a' + 10;
}
