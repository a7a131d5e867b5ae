using System.Text;

namespace Fabric.Boot;

/// <summary>
/// The escaping every value goes through on its way into a boot script. Boot scripts are read by
/// iPXE, pxelinux, GRUB and finally the kernel's command-line parser; each treats some characters
/// specially: spaces and quotes separate or group arguments, a newline ends a command, <c>$</c>,
/// <c>{</c> and <c>}</c> expand variables (iPXE <c>${x}</c>, GRUB <c>$x</c>), <c>;</c> and
/// <c>#</c> end a command or start a comment, <c>|</c> and <c>&amp;</c> chain commands in iPXE.
/// A value is therefore reduced to a conservative set that means nothing to any of them:
/// ASCII letters and digits and <c>. - _ : / @ + , = %</c>. Every other character (including any
/// non-ASCII letter) becomes <c>_</c>, so a value stays one inert word. Node names, MACs,
/// addresses, root specs and URLs are already inside this set; labels are free text and may be
/// changed by it.
/// </summary>
public static class BootText
{
    public const char Replacement = '_';

    public static bool IsSafe(char c) =>
        char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or ':' or '/' or '@' or '+' or ',' or '=' or '%';

    /// <summary>The value with every unsafe character replaced by <see cref="Replacement"/>.</summary>
    public static string Escape(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return string.Empty;
        }

        foreach (var c in value)
        {
            if (!IsSafe(c))
            {
                return string.Create(value.Length, value, static (span, source) =>
                {
                    for (int i = 0; i < source.Length; i++)
                    {
                        span[i] = IsSafe(source[i]) ? source[i] : Replacement;
                    }
                });
            }
        }

        return value;
    }

    internal static void Escape(ReadOnlySpan<char> value, TextWriter target)
    {
        foreach (var c in value)
        {
            target.Write(IsSafe(c) ? c : Replacement);
        }
    }

    internal static void Escape(StringBuilder value, TextWriter target)
    {
        foreach (var chunk in value.GetChunks())
        {
            Escape(chunk.Span, target);
        }
    }
}
