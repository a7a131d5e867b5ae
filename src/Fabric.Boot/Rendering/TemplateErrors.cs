using System.Globalization;
using System.Text.RegularExpressions;

namespace Fabric.Boot.Rendering;

/// <summary>Finds the line a Handlebars error points at. The parser reports <c>Occured at: line:column</c>;
/// the compiler and the runtime name the block, partial or value instead, so the line is the first
/// (for unclosed blocks: the last) expression that uses that name.</summary>
internal static partial class TemplateErrors
{
    /// <summary>Raw output (<c>{{{x}}}</c>, <c>{{&amp;x}}</c>) bypasses escaping and is refused.</summary>
    public static int? FindRawOutput(string source)
    {
        var match = RawOutput().Match(source);
        return match.Success ? LineOf(source, match.Index) : null;
    }

    public static int? LocateLine(string source, string message)
    {
        var at = OccurredAt().Match(message);
        if (at.Success && int.TryParse(at.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int line))
        {
            return line;
        }

        var unclosed = UnclosedBlock().Match(message);
        if (unclosed.Success)
        {
            var opens = Regex.Matches(source, @"\{\{~?#\s*" + Regex.Escape(unclosed.Groups[1].Value) + @"\b");
            return opens.Count > 0 ? LineOf(source, opens[^1].Index) : null;
        }

        var name = PartialName().Match(message) is { Success: true } partial ? partial.Groups[1].Value
            : Undefined().Match(message) is { Success: true } undefined ? undefined.Groups[1].Value
            : null;
        if (name is null)
        {
            return null;
        }

        var use = Regex.Match(source, @"\{\{~?[#>^/]?\s*" + Regex.Escape(name) + @"(?![\w.-])");
        return use.Success ? LineOf(source, use.Index) : null;
    }

    public static int LineOf(string source, int index)
    {
        int line = 1;
        for (int i = 0; i < index && i < source.Length; i++)
        {
            if (source[i] == '\n')
            {
                line++;
            }
        }

        return line;
    }

    /// <summary>The library's message without its multi-line tail.</summary>
    public static string FirstLine(string message)
    {
        var trimmed = message.Trim();
        int newline = trimmed.IndexOf('\n', StringComparison.Ordinal);
        return (newline < 0 ? trimmed : trimmed[..newline]).Trim();
    }

    [GeneratedRegex(@"\{\{~?\{|\{\{~?&")]
    private static partial Regex RawOutput();

    [GeneratedRegex(@"Occured at:\s*(\d+):(\d+)")]
    private static partial Regex OccurredAt();

    [GeneratedRegex(@"block expression '([^']+)' was closed")]
    private static partial Regex UnclosedBlock();

    [GeneratedRegex(@"partial name '([^']+)'")]
    private static partial Regex PartialName();

    [GeneratedRegex(@"^\s*([\w.@-]+) is undefined")]
    private static partial Regex Undefined();
}
