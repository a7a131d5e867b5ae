using System.Text.RegularExpressions;

namespace Fabric.Boot.Rendering;

/// <summary>
/// Every template of one folder, parsed. Top-level files are templates (their file name is the template name;
/// <c>*.md</c> and dot files are not); <c>partials/NAME.sbn</c> files are partials for <c>{{ include "NAME" }}</c>.
/// A set is immutable: a change in the folder makes a new set from the previous one, reusing every file whose
/// stamp did not change. A file that no longer parses does not replace a version that did: the previous version
/// stays, marked <see cref="BootTemplate.Refused"/> with the new file's problem.
/// </summary>
internal sealed partial record BootTemplateSet(
    FileStamp[] Stamp,
    IReadOnlyDictionary<string, BootTemplate> Templates,
    IReadOnlyDictionary<string, BootTemplate> Partials,
    IReadOnlyCollection<string> Names)
{
    public const string PartialsFolder = "partials";

    public static readonly BootTemplateSet Empty = new([], new Dictionary<string, BootTemplate>(), new Dictionary<string, BootTemplate>(), []);

    /// <summary>Every problem of every template and partial, <c>file:line:column: reason</c>.</summary>
    public IEnumerable<TemplateProblem> Problems =>
        Templates.Values.Concat(Partials.Values).Select(t => t.Problem).OfType<TemplateProblem>().OrderBy(p => p.File, StringComparer.Ordinal);

    /// <summary>Name, size and modification time of every template and partial file, sorted by path.</summary>
    public static FileStamp[] StampOf(string directory)
    {
        var files = new List<FileStamp>();
        if (Directory.Exists(directory))
        {
            foreach (var path in Directory.EnumerateFiles(directory))
            {
                var name = Path.GetFileName(path);
                if (!name.StartsWith('.') && !name.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
                {
                    files.Add(FileStamp.Of(path));
                }
            }

            var partials = Path.Combine(directory, PartialsFolder);
            if (Directory.Exists(partials))
            {
                foreach (var path in Directory.EnumerateFiles(partials, "*" + BootTemplates.PartialExtension))
                {
                    if (PartialName().IsMatch(Path.GetFileNameWithoutExtension(path)))
                    {
                        files.Add(FileStamp.Of(path));
                    }
                }
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return [.. files];
    }

    /// <summary>Loads the folder, reusing what <paramref name="previous"/> already parsed. <paramref name="refused"/>
    /// is told of each file whose new version was refused (the previous version kept).</summary>
    public static BootTemplateSet Load(string directory, FileStamp[] stamp, BootTemplateSet? previous = null, Action<BootTemplate>? refused = null)
    {
        directory = Path.GetFullPath(directory);
        var partialsFolder = Path.Combine(directory, PartialsFolder);
        var templates = new Dictionary<string, BootTemplate>(StringComparer.Ordinal);
        var partials = new Dictionary<string, BootTemplate>(StringComparer.Ordinal);
        foreach (var file in stamp)
        {
            bool isPartial = Path.GetDirectoryName(file.Path) == partialsFolder;
            var name = isPartial ? Path.GetFileNameWithoutExtension(file.Path) : Path.GetFileName(file.Path);
            var target = isPartial ? partials : templates;
            var before = previous is null ? null : (isPartial ? previous.Partials : previous.Templates).GetValueOrDefault(name);
            if (before is not null && before.Stamp == file)
            {
                target[name] = before;
                continue;
            }

            var loaded = BootTemplate.Load(name, file.Path);
            if (loaded.Problem is not null && before?.Compiled is not null)
            {
                var kept = before with { Stamp = file, Refused = loaded.Problem };
                refused?.Invoke(kept);
                target[name] = kept;
                continue;
            }

            target[name] = loaded;
        }

        return new BootTemplateSet(stamp, templates, partials, templates.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$")]
    private static partial Regex PartialName();
}
