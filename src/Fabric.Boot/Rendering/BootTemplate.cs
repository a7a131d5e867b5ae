using Scriban;
using Scriban.Parsing;
using Scriban.Syntax;

namespace Fabric.Boot.Rendering;

/// <summary>One template file, parsed: <see cref="Compiled"/> when it parsed, else <see cref="Problem"/>.</summary>
internal sealed record BootTemplate(string Name, string Path, FileStamp Stamp, Template? Compiled, TemplateProblem? Problem)
{
    /// <summary>Set when the file was changed into something that does not parse and this (previous) version is
    /// kept serving: why the new version was refused.</summary>
    public TemplateProblem? Refused { get; init; }

    /// <summary>Reads and parses a file. Never throws for a bad file: the problem is the result.</summary>
    public static BootTemplate Load(string name, string path)
    {
        var stamp = FileStamp.Of(path);
        string source;
        try
        {
            source = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new BootTemplate(name, path, stamp, null, new TemplateProblem(path, null, null, "cannot read the template: " + e.Message));
        }

        var template = Template.Parse(source, path, new ParserOptions { ExpressionDepthLimit = 64 }, new LexerOptions { Lang = ScriptLang.Default, Mode = ScriptMode.Default });
        if (template.HasErrors)
        {
            var first = template.Messages.First(m => m.Type == ParserMessageType.Error);
            return new BootTemplate(name, path, stamp, null, TemplateProblem.At(path, first.Span, first.Message));
        }

        return new BootTemplate(name, path, stamp, template, null);
    }
}

/// <summary>Name, size and modification time of a file: a changed stamp means the file must be read again.</summary>
internal readonly record struct FileStamp(string Path, long Length, DateTime Modified)
{
    public static FileStamp Of(string path)
    {
        var info = new FileInfo(path);
        return new FileStamp(path, info.Exists ? info.Length : -1, info.Exists ? info.LastWriteTimeUtc : default);
    }
}
