using Fabric.Boot.Rendering;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fabric.Boot;

/// <summary>Creates a renderer without dependency injection (tools, tests, benchmarks).</summary>
public static class BootRenderer
{
    public static IBootRenderer Create(string templatesDir, BootRenderOptions? options = null, TimeProvider? time = null, ILoggerFactory? loggers = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(templatesDir);
        options ??= new BootRenderOptions();
        var errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        return new ScribanBootRenderer(
            templatesDir,
            options,
            time ?? TimeProvider.System,
            (loggers ?? NullLoggerFactory.Instance).CreateLogger<ScribanBootRenderer>());
    }

    /// <summary>The Handlebars renderer Fabric used before Scriban, kept only to measure both in one run
    /// (<c>tests/bench/templates</c>); it renders Handlebars templates.</summary>
    internal static IBootRenderer CreateHandlebars(string templatesDir, BootRenderOptions? options = null) =>
        new HandlebarsBootRenderer(templatesDir, options ?? new BootRenderOptions(), TimeProvider.System, NullLoggerFactory.Instance.CreateLogger<HandlebarsBootRenderer>());
}
