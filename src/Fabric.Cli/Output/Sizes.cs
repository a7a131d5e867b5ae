using System.Globalization;

namespace Fabric.Cli.Output;

/// <summary>Sizes as people write them: bytes, or a whole number with K, M, G or T (powers of 1024, as <c>truncate -s</c>).</summary>
internal static class Sizes
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        text = text.Trim();
        long unit = char.ToUpperInvariant(text[^1]) switch
        {
            'K' => 1L << 10,
            'M' => 1L << 20,
            'G' => 1L << 30,
            'T' => 1L << 40,
            _ => 1,
        };
        var digits = unit == 1 ? text : text[..^1];
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0 || value > long.MaxValue / unit)
        {
            return false;
        }

        bytes = value * unit;
        return true;
    }

    /// <summary>The largest unit that divides the size, e.g. <c>256M</c>; bytes otherwise.</summary>
    public static string Format(long bytes)
    {
        foreach (var (suffix, unit) in new[] { ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10) })
        {
            if (bytes >= unit && bytes % unit == 0)
            {
                return (bytes / unit).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return bytes.ToString(CultureInfo.InvariantCulture);
    }
}
