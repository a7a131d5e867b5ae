using System.Globalization;
using Scriban.Parsing;
using Scriban.Syntax;

namespace Fabric.Boot;

/// <summary>Where and why a template failed: its file, the 1-based line and column, and the reason.</summary>
public sealed record TemplateProblem(string File, int? Line, int? Column, string Message)
{
    /// <summary><c>file:line:column: reason</c>, the form compilers use.</summary>
    public override string ToString() => Line is int line
        ? string.Create(CultureInfo.InvariantCulture, $"{File}:{line}:{Column ?? 1}: {Message}")
        : $"{File}: {Message}";

    internal static TemplateProblem At(string file, SourceSpan span, string message) =>
        new(file, span.Start.Line + 1, span.Start.Column + 1, message);

    internal static TemplateProblem From(string file, ScriptRuntimeException exception) =>
        At(string.IsNullOrEmpty(exception.Span.FileName) ? file : exception.Span.FileName, exception.Span, exception.OriginalMessage);
}
