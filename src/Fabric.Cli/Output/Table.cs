using Fabric.Core;

namespace Fabric.Cli.Output;

/// <summary>A plain text table with left-aligned columns, for people. Every cell is escaped
/// (<see cref="LogText.Escape"/>): text that came from nodes or clients (boot-report messages, labels) cannot start a
/// new line or send escape sequences to the terminal. JSON output (<c>-o json</c>) keeps text as it is.</summary>
internal static class Table
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<string?>> rows)
    {
        var all = new List<IReadOnlyList<string?>> { headers };
        all.AddRange(rows.Select(row => (IReadOnlyList<string?>)[.. row.Select(LogText.Escape)]));
        var widths = new int[headers.Count];
        foreach (var row in all)
        {
            for (int i = 0; i < widths.Length; i++)
            {
                widths[i] = Math.Max(widths[i], (row.ElementAtOrDefault(i) ?? "").Length);
            }
        }

        foreach (var row in all)
        {
            var cells = Enumerable.Range(0, widths.Length).Select(i =>
                i == widths.Length - 1 ? row.ElementAtOrDefault(i) ?? "" : (row.ElementAtOrDefault(i) ?? "").PadRight(widths[i]));
            output.WriteLine(string.Join("  ", cells).TrimEnd());
        }
    }

    /// <summary><c>key: value</c> lines.</summary>
    public static void WriteFields(TextWriter output, IEnumerable<(string Key, string? Value)> fields)
    {
        var list = fields.Where(f => !string.IsNullOrEmpty(f.Value)).Select(f => (f.Key, Value: LogText.Escape(f.Value))).ToList();
        int width = list.Count == 0 ? 0 : list.Max(f => f.Key.Length) + 1;
        foreach (var (key, value) in list)
        {
            output.WriteLine($"{(key + ":").PadRight(width)} {value}");
        }
    }
}
