namespace Fabric.Appliance.Boot.Files;

/// <summary>What a request's <c>Range</c> field asks of a file.</summary>
internal enum RangeKind
{
    /// <summary>No range, or one this server ignores (another unit, several ranges, bad syntax, a stale
    /// <c>If-Range</c>): the whole file, 200.</summary>
    Whole,

    /// <summary>One satisfiable range: 206 with those bytes.</summary>
    Partial,

    /// <summary>A range that starts past the end of the file: 416.</summary>
    Unsatisfiable,
}

/// <summary>
/// A single byte range of a file (RFC 9110 section 14): <c>bytes=first-last</c>, <c>bytes=first-</c> or
/// <c>bytes=-suffix</c>. A request for several ranges is answered with the whole file, as ASP.NET Core's static
/// files do (RFC 9110 section 14.2 lets a server ignore Range); a syntactically invalid field is ignored too
/// (section 14.2: "MUST ignore"). Pure: no I/O.
/// </summary>
/// <param name="Start">Offset of the first byte.</param>
/// <param name="Length">Number of bytes, at least 1.</param>
internal readonly record struct ByteRange(long Start, long Length)
{
    public long End => Start + Length - 1;

    /// <summary>Evaluates <paramref name="header"/> against a file of <paramref name="fileLength"/> bytes last changed at
    /// <paramref name="lastModified"/> (its HTTP-date as the server sends it in <c>Last-Modified</c>); <paramref name="ifRange"/>
    /// other than that date (an entity tag or another date) means the client's copy is stale: the whole file.</summary>
    public static RangeKind Evaluate(string? header, string? ifRange, long fileLength, string lastModified, out ByteRange range)
    {
        range = default;
        if (header is null || fileLength == 0)
        {
            return RangeKind.Whole;
        }

        if (ifRange is not null && !string.Equals(ifRange.Trim(), lastModified, StringComparison.Ordinal))
        {
            return RangeKind.Whole;
        }

        var text = header.AsSpan().Trim();
        if (!text.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return RangeKind.Whole;
        }

        var spec = text[6..].Trim();
        if (spec.Contains(','))
        {
            return RangeKind.Whole;
        }

        int dash = spec.IndexOf('-');
        if (dash < 0)
        {
            return RangeKind.Whole;
        }

        var firstText = spec[..dash].Trim();
        var lastText = spec[(dash + 1)..].Trim();
        if (firstText.IsEmpty)
        {
            // bytes=-N: the last N bytes; N = 0 can never be satisfied.
            if (!TryNumber(lastText, out long suffix))
            {
                return RangeKind.Whole;
            }

            if (suffix == 0)
            {
                return RangeKind.Unsatisfiable;
            }

            long start = Math.Max(0, fileLength - suffix);
            range = new ByteRange(start, fileLength - start);
            return RangeKind.Partial;
        }

        if (!TryNumber(firstText, out long first))
        {
            return RangeKind.Whole;
        }

        long last = long.MaxValue;
        if (!lastText.IsEmpty && !TryNumber(lastText, out last))
        {
            return RangeKind.Whole;
        }

        if (last < first)
        {
            return RangeKind.Whole;
        }

        if (first >= fileLength)
        {
            return RangeKind.Unsatisfiable;
        }

        last = Math.Min(last, fileLength - 1);
        range = new ByteRange(first, last - first + 1);
        return RangeKind.Partial;
    }

    /// <summary>Decimal digits; a number too large for a long reads as <see cref="long.MaxValue"/> (it is past any end).</summary>
    private static bool TryNumber(ReadOnlySpan<char> text, out long value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }

            value = value > (long.MaxValue - 9) / 10 ? long.MaxValue : (value * 10) + (c - '0');
        }

        return true;
    }
}
