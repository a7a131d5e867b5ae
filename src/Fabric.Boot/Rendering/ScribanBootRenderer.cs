using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Fabric.Boot.Rendering;

/// <summary>
/// Renders the templates of one folder with Scriban (<see cref="BootTemplateSet"/> says which files are templates).
/// Everything is parsed once; the folder is checked for changed files at most every
/// <see cref="BootRenderOptions.ReloadCheckInterval"/> and only changed files are parsed again. A changed file that
/// does not parse is refused: the previous version keeps serving, and a log line and the metric
/// <c>fabric_boot_template_refused_total</c> say so. Rendering writes into a buffer and returns it only when the whole
/// template rendered: any error gives <see cref="RenderResult.Failed(string, TemplateProblem)"/> with file, line and
/// column. What a template can reach is set by <see cref="BootTemplateContext"/>.
/// </summary>
internal sealed partial class ScribanBootRenderer : IBootRenderer, IDisposable
{
    private readonly string _directory;
    private readonly BootRenderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ScriptObject _builtins = BootTemplateContext.CreateBuiltins();
    private readonly Lock _reloadLock = new();
    private readonly Meter _meter;
    private readonly Counter<long> _refused;
    [ThreadStatic]
    private static BootTemplateContext? t_context;

    private volatile BootTemplateSet _set;
    private long _lastCheck;

    public ScribanBootRenderer(string directory, BootRenderOptions options, TimeProvider time, ILogger<ScribanBootRenderer> logger, IMeterFactory? meters = null)
    {
        _directory = Path.GetFullPath(directory);
        _options = options;
        _time = time;
        _logger = logger;
        _meter = meters?.Create(BootMetrics.MeterName) ?? new Meter(BootMetrics.MeterName);
        _refused = _meter.CreateCounter<long>(BootMetrics.RefusedTemplates, "{file}", "Edited template files refused because they do not parse (the previous version keeps serving), by template.");
        _set = BootTemplateSet.Load(_directory, BootTemplateSet.StampOf(_directory));
        foreach (var problem in _set.Problems)
        {
            LogBroken(_logger, problem.ToString());
        }

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

        return Render(set, template, BootModel.From(context, _options));
    }

    /// <summary>Renders a template for a model made by hand (tests put hostile text in every field this way).</summary>
    internal RenderResult Render(string templateName, BootModel model)
    {
        var set = Current();
        return set.Templates.TryGetValue(templateName, out var template)
            ? Render(set, template, model)
            : RenderResult.Failed(templateName, null, "no such template");
    }

    private RenderResult Render(BootTemplateSet set, BootTemplate template, BootModel model)
    {
        if (template.Compiled is null)
        {
            return RenderResult.Failed(template.Name, template.Problem!);
        }

        // A context is costly to make (most of a render's allocations), so each thread keeps one per renderer. Only a
        // context whose render succeeded is kept (its stacks are back where they started); the model, with anything
        // the template assigned, is popped off it.
        var context = t_context is { } cached && cached.Owner == this ? cached : new BootTemplateContext(_builtins, _options) { Owner = this };
        t_context = null;
        context.Partials = set.Partials;
        context.PushGlobal(model.ToScriptObject());
        try
        {
            var text = template.Compiled.Render(context);
            context.PopGlobal();
            t_context = context;
            return RenderResult.Ok(text);
        }
        catch (ScriptRuntimeException e)
        {
            return Failed(template, TemplateProblem.From(template.Path, e));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var span = context.CurrentNode?.Span;
            var problem = span is { } at
                ? TemplateProblem.At(string.IsNullOrEmpty(at.FileName) ? template.Path : at.FileName, at, e.Message)
                : new TemplateProblem(template.Path, null, null, e.Message);
            return Failed(template, problem);
        }
    }

    private RenderResult Failed(BootTemplate template, TemplateProblem problem)
    {
        LogRenderFailed(_logger, template.Name, problem.ToString());
        return RenderResult.Failed(template.Name, problem);
    }

    private BootTemplateSet Current()
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
            var stamp = BootTemplateSet.StampOf(_directory);
            if (!stamp.AsSpan().SequenceEqual(_set.Stamp))
            {
                _set = BootTemplateSet.Load(_directory, stamp, _set, Refused);
                LogReloaded(_logger, _directory, _set.Templates.Count);
            }

            return _set;
        }
    }

    private void Refused(BootTemplate kept)
    {
        _refused.Add(1, new KeyValuePair<string, object?>("template", kept.Name));
        LogRefused(_logger, kept.Name, kept.Refused!.ToString());
    }

    public void Dispose() => _meter.Dispose();

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "Boot template does not parse: {Problem}")]
    private static partial void LogBroken(ILogger logger, string problem);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error, Message = "Boot template {Template} failed to render: {Problem}")]
    private static partial void LogRenderFailed(ILogger logger, string template, string problem);

    [LoggerMessage(EventId = 5003, Level = LogLevel.Information, Message = "Boot templates reloaded from {Directory}: {Count} templates")]
    private static partial void LogReloaded(ILogger logger, string directory, int count);

    [LoggerMessage(EventId = 5004, Level = LogLevel.Error, Message = "Edited boot template {Template} refused, the previous version keeps serving: {Problem}")]
    private static partial void LogRefused(ILogger logger, string template, string problem);
}
