using Fabric.Jobs;
using Fabric.Router.AutoApply;
using Fabric.Router.Drift;
using Fabric.Router.Jobs;
using Fabric.Router.Rules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Fabric.Router;

public static class RouterServiceCollectionExtensions
{
    /// <summary>Registers the router's plans (<see cref="IRouterPlans"/>) and its job kind (<c>router-apply</c>). Needs the
    /// registry, jobs and remote hosts; the operator's rules come from an <see cref="Registry.RouterRules.IRouterRuleStore"/>
    /// when one is registered.</summary>
    public static IServiceCollection AddFabricRouter(this IServiceCollection services)
    {
        services.TryAddSingleton<IRouterPlans, RouterPlans>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RouterGate>();
        services.TryAddSingleton<IRouterRules>(sp => new RouterRules(
            sp.GetRequiredService<Registry.IRegistry>(), sp.GetRequiredService<Registry.RouterRules.IRouterRuleStore>(), sp.GetRequiredService<TimeProvider>()));
        return services.AddJobHandler<RouterApplyJobHandler>();
    }

    /// <summary>Registers what keeps routers true, with settings <c>Fabric:Router</c> validated on start: the drift check
    /// (a hosted service planning every router each <c>CheckInterval</c>; <see cref="IRouterDrift"/>, the metrics) and,
    /// unless <c>AutoApply</c> is false, the <c>router-apply</c> jobs queued when instances change.</summary>
    public static IServiceCollection AddFabricRouterChecks(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<RouterOptions>().Configure(o => RouterOptions.Read(configuration, o)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RouterOptions>, RouterOptions.Validator>());
        services.AddMetrics();
        services.TryAddSingleton<RouterGate>();
        services.TryAddSingleton<RouterMetrics>();
        services.TryAddSingleton<RouterDriftMonitor>();
        services.TryAddSingleton<IRouterDrift>(sp => sp.GetRequiredService<RouterDriftMonitor>());
        services.AddHostedService(sp => sp.GetRequiredService<RouterDriftMonitor>());
        services.TryAddSingleton<RouterAutoApply>();
        services.AddHostedService(sp => sp.GetRequiredService<RouterAutoApply>());
        return services;
    }
}
