using System.Globalization;
using Scriban.Parsing;
using Scriban.Syntax;

namespace Fabric.Boot;

/// <summary>Where and why a template failed: its file, the 1-based line and column, and the reason.</summary>
public sealed record TemplateProblem(string File, int? Line, int? Column, string Message)
{
    /// <summary><c>file:line:column: reason</c>, the form compilers use.</summary>
    public override string ToString() => Format(File);

    /// <summary>The same with the file named as inside the templates folder (<c>hardware.ipxe</c>,
    /// <c>partials/args.sbn</c>): no path of the appliance, for callers who are not the operator.</summary>
    public string ToStringWithoutPath() => Format(NameInFolder(File));

    /// <summary>A template file's name inside the templates folder.</summary>
    public static string NameInFolder(string file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var name = Path.GetFileName(file);
        return Path.GetFileName(Path.GetDirectoryName(file)) == Rendering.BootTemplateSet.PartialsFolder ? Rendering.BootTemplateSet.PartialsFolder + "/" + name : name;
    }

    private string Format(string file) => Line is int line
        ? string.Create(CultureInfo.InvariantCulture, $"{file}:{line}:{Column ?? 1}: {Message}")
        : $"{file}: {Message}";

    internal static TemplateProblem At(string file, SourceSpan span, string message) =>
        new(file, span.Start.Line + 1, span.Start.Column + 1, message);

    internal static TemplateProblem From(string file, ScriptRuntimeException exception) =>
        At(string.IsNullOrEmpty(exception.Span.FileName) ? file : exception.Span.FileName, exception.Span, exception.OriginalMessage);
}
