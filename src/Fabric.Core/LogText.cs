using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Fabric.Core;

/// <summary>
/// Makes a string that came from outside (a requested file name, a boot-report message, a label) safe to print in a
/// log line or a terminal: control characters (C0, DEL, C1), Unicode line separators and bidirectional overrides are
/// written as escapes (<c>\n</c>, <c>\r</c>, <c>\t</c>, <c>\x1b</c>, <c>\u202e</c>), so a client cannot forge a log
/// line or send escape sequences to an operator's terminal. The backslash itself is doubled, so an escape in the
/// output always means the character was there. Strings with nothing to escape are returned as they are.</summary>
/// <remarks>Also compiled into the CLI as a linked source file, internal there: the CLI depends only on the API's
/// contracts, and a second public copy would clash with this one in projects that reference both.</remarks>
#if FABRIC_CLI
internal
#else
public
#endif
static class LogText
{
    [return: NotNullIfNotNull(nameof(text))]
    public static string? Escape(string? text)
    {
        if (text is null)
        {
            return null;
        }

        int first = 0;
        while (first < text.Length && !NeedsEscape(text[first]))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            switch (c)
            {
                case '\\':
                    builder.Append(@"\\");
                    break;
                case '\n':
                    builder.Append(@"\n");
                    break;
                case '\r':
                    builder.Append(@"\r");
                    break;
                case '\t':
                    builder.Append(@"\t");
                    break;
                default:
                    if (!NeedsEscape(c))
                    {
                        builder.Append(c);
                    }
                    else if (c <= 0xff)
                    {
                        builder.Append(@"\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(@"\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    private static bool NeedsEscape(char c) =>
        c == '\\'
        || char.IsControl(c)
        || c is '\u2028' or '\u2029' // line and paragraph separators
        || c is >= '\u202a' and <= '\u202e' // bidirectional embeddings and overrides
        || c is >= '\u2066' and <= '\u2069'; // bidirectional isolates
}
