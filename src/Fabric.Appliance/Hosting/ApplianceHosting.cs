using System.Diagnostics;
using Fabric.Api.Contracts;
using Fabric.Appliance.Api;
using Fabric.Appliance.Boot;
using Fabric.Appliance.Boot.Files;
using Fabric.Appliance.Metrics;
using Fabric.Appliance.Security;
using Fabric.Boot;
using Fabric.Registry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fabric.Appliance.Hosting;

/// <summary>Wires the appliance: settings, registry, tokens, REST API, HTTP boot, metrics and OpenAPI.</summary>
public static class ApplianceHosting
{
    /// <summary>Reads and checks the settings and registers the appliance's services. Returns every settings problem;
    /// when there is any, nothing is registered and the host must not start.</summary>
    public static IReadOnlyList<string> AddFabricAppliance(this WebApplicationBuilder builder)
    {
        UseInstalledDefaults(builder);
        var services = builder.Services;
        services.AddFabricApplianceSettings();
        services.AddFabricBoot(builder.Configuration);
        services.AddSingleton(new SettingsSection("Fabric:Boot", typeof(BootRenderOptions)));
        services.AddSingleton(new SettingsSection(Registry.Settings.DiscoveryOptions.Section, typeof(Registry.Settings.DiscoveryOptions)));
        services.AddSingleton(new SettingsSection(Registry.Settings.EventOptions.Section, typeof(Registry.Settings.EventOptions)));
        services.AddSingleton(new SettingsSection(Jobs.JobsOptions.Section, typeof(Jobs.JobsOptions)));
        services.AddFabricSettings<Storage.StorageOptions, Storage.StorageOptionsValidator>(Storage.StorageOptions.Section);
        services.AddSingleton(new SettingsSection(Instances.Settings.InstanceOptions.Section, typeof(Instances.Settings.InstanceOptions)));
        services.AddSingleton(new SettingsSection(Storage.Health.StorageHealthOptions.Section, typeof(Storage.Health.StorageHealthOptions)));
        services.AddSingleton(new SettingsSection(Router.RouterOptions.Section, typeof(Router.RouterOptions)));

        var (values, problems) = SettingsCheck.Run(services, builder.Configuration);
        if (problems.Count == 0)
        {
            var ports = new List<string>();
            StartupChecks.Ports((HttpOptions)values[typeof(HttpOptions)], (TftpSettings)values[typeof(TftpSettings)], (DhcpSettings)values[typeof(DhcpSettings)], ports);
            StartupChecks.BootFilesPort((BootFilesSettings)values[typeof(BootFilesSettings)], ports);
            problems = ports;
        }

        if (problems.Count > 0)
        {
            return problems;
        }

        services.AddSingleton(new ValidatedSettings(values));
        var options = FabricOptions.From(
            (ApplianceOptions)values[typeof(ApplianceOptions)],
            (HttpOptions)values[typeof(HttpOptions)],
            (TftpSettings)values[typeof(TftpSettings)],
            (DhcpSettings)values[typeof(DhcpSettings)]);
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddFabricRegistry(Path.Combine(options.DataDir, FabricRegistry.DatabaseFileName));
        services.TryAddSingleton(sp =>
        {
            sp.GetRequiredService<IRegistry>(); // migrated by the registry first
            return Registry.Tokens.ApiTokenStores.Open(Path.Combine(options.DataDir, FabricRegistry.DatabaseFileName), sp.GetRequiredService<TimeProvider>());
        });
        services.TryAddSingleton(sp => new AdminToken(options));
        services.TryAddSingleton(sp => new BootTokens(options));
        services.TryAddSingleton(sp => new Fabric.Remote.Keys.NodeHostKeys(Path.Combine(options.DataDir, Fabric.Remote.Keys.NodeHostKeys.FolderName)));
        services.TryAddSingleton<ApplianceUrls>();
        if ((BootFilesSettings)values[typeof(BootFilesSettings)] is { Enabled: true } bootFiles)
        {
            services.TryAddSingleton(sp => new BootFileServer(bootFiles, options, sp.GetRequiredService<ILogger<BootFileServer>>(), sp.GetRequiredService<TimeProvider>()));
            services.AddHostedService(sp => sp.GetRequiredService<BootFileServer>());
        }

        services.TryAddSingleton<IBootContextFactory, BootContextFactory>();
        services.TryAddSingleton<IBootScripts, BootScripts>();
        services.TryAddSingleton<Fabric.Tftp.Files.ITftpVirtualFiles, TftpBootFiles>();
        services.TryAddSingleton<BootReports>();
        services.TryAddSingleton<BootTimeoutService>();
        services.AddFabricJobsOn(builder.Configuration, options);
        services.AddFabricRemote(new Remote.RemoteOptions { KeyFolder = Path.Combine(options.DataDir, "ssh") });
        services.TryAddSingleton(sp =>
        {
            sp.GetRequiredService<IRegistry>(); // migrated by the registry first
            return Registry.Images.ImageStores.Open(Path.Combine(options.DataDir, FabricRegistry.DatabaseFileName));
        });
        services.PostConfigure<Storage.StorageOptions>(o => o.ImageFolder = Path.Combine(options.DataDir, "images"));
        Storage.StorageServiceCollectionExtensions.AddFabricStorage(services);
        services.TryAddSingleton(sp =>
        {
            sp.GetRequiredService<IRegistry>(); // migrated by the registry first
            return Registry.RouterRules.RouterRuleStores.Open(Path.Combine(options.DataDir, FabricRegistry.DatabaseFileName));
        });
        Router.RouterServiceCollectionExtensions.AddFabricRouter(services);
        Router.RouterServiceCollectionExtensions.AddFabricRouterChecks(services, builder.Configuration);
        Instances.InstancesServiceCollectionExtensions.AddFabricInstances(services);
        Storage.Health.StorageHealthServiceCollectionExtensions.AddFabricStorageHealth(services, builder.Configuration);
        services.AddHostedService(sp => sp.GetRequiredService<BootTimeoutService>());
        services.TryAddSingleton<DiscoverySweepService>();
        services.AddHostedService(sp => sp.GetRequiredService<DiscoverySweepService>());
        services.AddMetrics();
        services.TryAddSingleton<ApplianceMetrics>();
        services.TryAddSingleton<PrometheusExporter>();

        services.ConfigureHttpJsonOptions(o => FabricJson.Configure(o.SerializerOptions));
        services.AddProblemDetails();
        services.AddOpenApi();
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes);
        return problems;
    }

    /// <summary>Registers the appliance's settings, one options class per feature, each bound from its section with a
    /// validator that reports every problem: <see cref="ApplianceOptions"/> and <see cref="HttpOptions"/> (<c>Fabric</c>,
    /// <c>Urls</c>), <see cref="DhcpSettings"/> (<c>Fabric:Dhcp</c>), <see cref="TftpSettings"/> (<c>Fabric:Tftp</c>).</summary>
    public static IServiceCollection AddFabricApplianceSettings(this IServiceCollection services)
    {
        services.AddFabricSettings<ApplianceOptions, ApplianceOptionsValidator>(ApplianceOptions.Section).PostConfigure(ApplianceOptions.Resolve);
        HttpOptions.Add(services);
        DhcpSettings.Add(services);
        services.AddFabricSettings<TftpSettings, TftpSettingsValidator>(TftpSettings.Section);
        services.AddFabricSettings<BootFilesSettings, BootFilesSettingsValidator>(BootFilesSettings.Section);
        return services;
    }

    /// <summary>When the appliance runs from another folder (e.g. the repository root), its content root has no
    /// appsettings.json: the defaults installed next to the binary are then read first, below every other source.</summary>
    private static void UseInstalledDefaults(WebApplicationBuilder builder)
    {
        var installed = Path.Combine(AppContext.BaseDirectory, "appsettings.json");
        var local = Path.Combine(builder.Environment.ContentRootPath, "appsettings.json");
        if (File.Exists(installed) && !File.Exists(local))
        {
            var source = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource { Path = installed, Optional = true };
            source.ResolveFileProvider();
            builder.Configuration.Sources.Insert(0, source);
        }
    }

    /// <summary>Maps the REST API, the HTTP boot endpoints, <c>/healthz</c>, <c>/metrics</c> and <c>/openapi/v1.json</c>,
    /// and opens the registry and token files so that start-up fails early.</summary>
    public static WebApplication MapFabricAppliance(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<FabricOptions>();
        app.Services.GetRequiredService<IRegistry>();
        app.Services.GetRequiredService<Registry.Tokens.IApiTokenStore>();
        app.Services.GetRequiredService<Registry.Images.IImageStore>();
        app.Services.GetRequiredService<AdminToken>();
        app.Services.GetRequiredService<BootTokens>();
        var metrics = app.Services.GetRequiredService<ApplianceMetrics>();
        app.Services.GetRequiredService<PrometheusExporter>();

        app.UseStatusCodePages();
        app.Use(async (context, next) =>
        {
            // Counted when the response starts, so a client that has its answer also sees it counted.
            var started = Stopwatch.GetTimestamp();
            context.Response.OnStarting(() =>
            {
                var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } raw ? "/" + raw.Trim('/') : "unmatched";
                metrics.Request(context.Request.Method, route, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
                return Task.CompletedTask;
            });

            // An image upload is an image: streamed to disk, never held in memory, and not bounded by the JSON limit.
            bool upload = HttpMethods.IsPut(context.Request.Method) && context.Request.Path.StartsWithSegments(StorageEndpoints.ImagesPath);
            if (!upload && context.Request.ContentLength > options.MaxRequestBodyBytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                await JsonBody.TooLarge(context).ExecuteAsync(context);
                return;
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            {
                limit.MaxRequestBodySize = upload ? null : options.MaxRequestBodyBytes;
            }

            await next(context);
        });

        app.MapOpenApi();
        app.MapGet("/healthz", () => Results.Ok(new { status = "ok" })).WithTags("appliance");
        app.MapReadiness();
        app.MapGet("/metrics", (PrometheusExporter exporter) => Results.Text(exporter.Scrape(), "text/plain; version=0.0.4; charset=utf-8"))
            .WithTags("appliance").ExcludeFromDescription();

        var api = app.MapGroup("/api/v1");
        api.MapNodeEndpoints();
        api.MapNetworkEndpoints();
        api.MapJobEndpoints();
        api.MapStorageEndpoints();
        api.MapRouterEndpoints();
        api.MapInstanceEndpoints();
        api.MapSshKeyEndpoints();
        api.MapNodeHostKeyEndpoints();
        api.MapTokenEndpoints();
        app.MapBootEndpoints();
        return app;
    }
}
