using System.Globalization;

namespace Fabric.Cli.Output;

/// <summary>Sizes as people write them, as <c>truncate -s</c> reads them: bytes, or a whole number with K, M, G or T
/// (or KiB, MiB, GiB, TiB: powers of 1024), or KB, MB, GB, TB (powers of 1000).</summary>
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
        var (digits, unit) = Split(text);
        if (unit == 0 || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value <= 0 || value > long.MaxValue / unit)
        {
            return false;
        }

        bytes = value * unit;
        return true;
    }

    /// <summary>The number's text and the unit's bytes (0 for an unknown suffix).</summary>
    private static (string Digits, long Unit) Split(string text)
    {
        var end = text.Length;
        while (end > 0 && char.IsAsciiLetter(text[end - 1]))
        {
            end--;
        }

        long unit = text[end..].ToUpperInvariant() switch
        {
            "" => 1,
            "K" or "KIB" => 1L << 10,
            "M" or "MIB" => 1L << 20,
            "G" or "GIB" => 1L << 30,
            "T" or "TIB" => 1L << 40,
            "KB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "TB" => 1_000_000_000_000,
            _ => 0,
        };
        return (text[..end], unit);
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
