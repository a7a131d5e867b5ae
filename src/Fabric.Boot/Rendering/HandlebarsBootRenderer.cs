using System.Globalization;
using HandlebarsDotNet;
using Microsoft.Extensions.Logging;

namespace Fabric.Boot.Rendering;

/// <summary>
/// Renders the templates of one folder with Handlebars. Top-level files are templates (their file name
/// is the template name; <c>*.md</c> and dot files are ignored); <c>partials/NAME.hbs</c> are partials
/// used as <c>{{&gt; NAME}}</c>. Everything is compiled once into an immutable set; the folder is checked
/// for changed files at most every <see cref="BootRenderOptions.ReloadCheckInterval"/> and the whole set
/// is recompiled when one changed. Rendering writes into a buffer and returns it only when the whole
/// template rendered: any error gives <see cref="RenderResult.Failed"/> with the template and line.
/// </summary>
internal sealed partial class HandlebarsBootRenderer : IBootRenderer
{
    private const string PartialsFolder = "partials";
    private const string PartialExtension = ".hbs";

    private readonly string _directory;
    private readonly BootRenderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _reloadLock = new();
    private volatile TemplateSet _set;
    private long _lastCheck;

    public HandlebarsBootRenderer(string directory, BootRenderOptions options, TimeProvider time, ILogger<HandlebarsBootRenderer> logger)
    {
        _directory = Path.GetFullPath(directory);
        _options = options;
        _time = time;
        _logger = logger;
        _set = Compile(Stamp());
        _lastCheck = _time.GetTimestamp();
    }

    public string Directory => _directory;

    public IReadOnlyCollection<string> TemplateNames => Current().Names;

    public RenderResult Render(string templateName, BootContext context)
    {
        ArgumentNullException.ThrowIfNull(templateName);
        ArgumentNullException.ThrowIfNull(context);
        var set = Current();
        if (!set.Templates.TryGetValue(templateName, out var template))
        {
            return RenderResult.Failed(templateName, null, $"there is no template named '{BootText.Escape(templateName)}' in the templates folder");
        }

        if (template.Error is not null)
        {
            return RenderResult.Failed(templateName, template.ErrorLine, template.Error);
        }

        try
        {
            var data = BootModel.From(context, _options).ToTemplateData();
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            template.Compiled!(writer, data);
            return RenderResult.Ok(writer.ToString());
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            var message = TemplateErrors.FirstLine(ex.Message);
            var line = TemplateErrors.LocateLine(template.Source, message);
            LogRenderFailed(_logger, templateName, line, message);
            return RenderResult.Failed(templateName, line, message);
        }
    }

    private TemplateSet Current()
    {
        var set = _set;
        long now = _time.GetTimestamp();
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastCheck), now) < _options.ReloadCheckInterval)
        {
            return set;
        }

        lock (_reloadLock)
        {
            Interlocked.Exchange(ref _lastCheck, now);
            var stamp = Stamp();
            if (!stamp.SequenceEqual(_set.Stamp))
            {
                _set = Compile(stamp);
                LogReloaded(_logger, _directory, _set.Templates.Count);
            }

            return _set;
        }
    }

    /// <summary>Name, size and modification time of every template and partial file.</summary>
    private FileStamp[] Stamp()
    {
        var files = new List<FileStamp>();
        if (System.IO.Directory.Exists(_directory))
        {
            foreach (var path in System.IO.Directory.EnumerateFiles(_directory))
            {
                files.Add(FileStamp.Of(path));
            }

            var partials = Path.Combine(_directory, PartialsFolder);
            if (System.IO.Directory.Exists(partials))
            {
                foreach (var path in System.IO.Directory.EnumerateFiles(partials, "*" + PartialExtension))
                {
                    files.Add(FileStamp.Of(path));
                }
            }
        }

        files.Sort((a, b) => string.CompareOrdinal(a.Path, b.Path));
        return [.. files];
    }

    private TemplateSet Compile(FileStamp[] stamp)
    {
        var environment = Handlebars.Create(new HandlebarsConfiguration
        {
            TextEncoder = new BootTextEncoder(),
            ThrowOnUnresolvedBindingExpression = true,
            FormatProvider = CultureInfo.InvariantCulture,
            NoEscape = false,
        });

        var partialErrors = new Dictionary<string, CompiledTemplate>(StringComparer.Ordinal);
        var partialsFolder = Path.Combine(_directory, PartialsFolder);
        foreach (var file in stamp.Where(f => Path.GetDirectoryName(f.Path) == partialsFolder))
        {
            var name = Path.GetFileNameWithoutExtension(file.Path);
            var displayName = PartialsFolder + "/" + Path.GetFileName(file.Path);
            var partial = CompileOne(environment, displayName, file.Path);
            if (partial.Error is null)
            {
                environment.RegisterTemplate(name, partial.Compiled!);
            }
            else
            {
                partialErrors[name] = partial;
            }
        }

        var templates = new Dictionary<string, CompiledTemplate>(StringComparer.Ordinal);
        foreach (var file in stamp.Where(f => Path.GetDirectoryName(f.Path) == _directory))
        {
            var name = Path.GetFileName(file.Path);
            if (name.StartsWith('.') || name.EndsWith(".md", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var template = CompileOne(environment, name, file.Path);
            if (template.Error is null)
            {
                // A template that uses a broken partial is broken too, with the partial's error.
                foreach (var (partialName, broken) in partialErrors)
                {
                    if (System.Text.RegularExpressions.Regex.IsMatch(template.Source, @"\{\{~?>\s*" + System.Text.RegularExpressions.Regex.Escape(partialName) + @"\b"))
                    {
                        template = template with { Compiled = null, Error = $"{broken.Name} line {broken.ErrorLine}: {broken.Error}", ErrorLine = broken.ErrorLine };
                        break;
                    }
                }
            }

            templates[name] = template;
        }

        return new TemplateSet(stamp, templates, templates.Keys.Order(StringComparer.Ordinal).ToArray());
    }

    private CompiledTemplate CompileOne(IHandlebars environment, string name, string path)
    {
        string source;
        try
        {
            source = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            return Broken(name, string.Empty, null, "cannot read the template: " + ex.Message);
        }
        catch (UnauthorizedAccessException ex)
        {
            return Broken(name, string.Empty, null, "cannot read the template: " + ex.Message);
        }

        var raw = TemplateErrors.FindRawOutput(source);
        if (raw is not null)
        {
            return Broken(name, source, raw, "raw output ({{{ }}} or {{& }}) is not allowed: every value is escaped for boot scripts");
        }

        try
        {
            using var reader = new StringReader(source);
            var compiled = environment.Compile(reader);
            return new CompiledTemplate(name, source, compiled, null, null);
        }
        catch (HandlebarsException ex)
        {
            var message = TemplateErrors.FirstLine(ex.Message);
            return Broken(name, source, TemplateErrors.LocateLine(source, ex.Message), message);
        }
    }

    private CompiledTemplate Broken(string name, string source, int? line, string error)
    {
        LogCompileFailed(_logger, name, line, error);
        return new CompiledTemplate(name, source, null, error, line);
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Boot template {Template} does not compile (line {Line}): {Error}")]
    private static partial void LogCompileFailed(ILogger logger, string template, int? line, string error);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Boot template {Template} failed to render (line {Line}): {Error}")]
    private static partial void LogRenderFailed(ILogger logger, string template, int? line, string error);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Boot templates reloaded from {Directory}: {Count} templates")]
    private static partial void LogReloaded(ILogger logger, string directory, int count);

    private readonly record struct FileStamp(string Path, long Length, DateTime Modified)
    {
        public static FileStamp Of(string path)
        {
            var info = new FileInfo(path);
            return new FileStamp(path, info.Exists ? info.Length : -1, info.Exists ? info.LastWriteTimeUtc : default);
        }
    }

    private sealed record CompiledTemplate(
        string Name,
        string Source,
        HandlebarsTemplate<TextWriter, object, object>? Compiled,
        string? Error,
        int? ErrorLine);

    private sealed record TemplateSet(FileStamp[] Stamp, Dictionary<string, CompiledTemplate> Templates, IReadOnlyCollection<string> Names);
}
