using System.Diagnostics.Metrics;
using Fabric.Boot.Rendering;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Fabric.Boot;

public static class BootServiceCollectionExtensions
{
    /// <summary>Adds the boot template renderer (<see cref="IBootRenderer"/>). Options come from
    /// <c>Fabric:Boot</c> (<c>RetrySeconds</c>, <c>KernelName</c>, <c>InitrdName</c>,
    /// <c>ReloadCheckInterval</c>) and <c>Fabric:TemplatesDir</c>; they are validated at start-up.</summary>
    public static IServiceCollection AddFabricBoot(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.AddOptions<BootRenderOptions>()
            .Bind(configuration.GetSection("Fabric:Boot"))
            .PostConfigure<IServiceProvider>((options, provider) =>
            {
                var configured = configuration["Fabric:TemplatesDir"] ?? options.TemplatesDir;
                var contentRoot = provider.GetService<IHostEnvironment>()?.ContentRootPath;
                options.TemplatesDir = BootTemplatesFolder.Resolve(configured, contentRoot)
                    ?? (string.IsNullOrWhiteSpace(configured) ? null : configured);
                options.TemplatesDirFound = options.TemplatesDir is not null && Directory.Exists(options.TemplatesDir);
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<BootRenderOptions>, BootRenderOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IBootRenderer>(provider =>
        {
            var options = provider.GetRequiredService<IOptions<BootRenderOptions>>().Value;
            return new ScribanBootRenderer(
                options.TemplatesDir!,
                options,
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<ScribanBootRenderer>>(),
                provider.GetService<IMeterFactory>());
        });
        return services;
    }

    /// <summary>Reports every problem of the options at once.</summary>
    private sealed class BootRenderOptionsValidator : IValidateOptions<BootRenderOptions>
    {
        public ValidateOptionsResult Validate(string? name, BootRenderOptions options)
        {
            var errors = options.Validate().ToList();
            if (!options.TemplatesDirFound)
            {
                errors.Add(options.TemplatesDir is null
                    ? "No templates folder found next to the application or above the content root: set Fabric:TemplatesDir."
                    : $"Fabric:TemplatesDir '{options.TemplatesDir}' does not exist.");
            }
            else
            {
                // Every template that does not parse, each as file:line:column: reason.
                var templates = BootTemplateSet.Load(options.TemplatesDir!, BootTemplateSet.StampOf(options.TemplatesDir!));
                errors.AddRange(templates.Problems.Select(p => $"boot template {p}"));
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }
}
