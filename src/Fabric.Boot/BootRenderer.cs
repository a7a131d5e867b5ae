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
}
