using Fabric.Jobs;
using Fabric.Router.Jobs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fabric.Router;

public static class RouterServiceCollectionExtensions
{
    /// <summary>Registers the router's plans (<see cref="IRouterPlans"/>) and its job kind (<c>router-apply</c>). Needs the
    /// registry, jobs and remote hosts.</summary>
    public static IServiceCollection AddFabricRouter(this IServiceCollection services)
    {
        services.TryAddSingleton<IRouterPlans, RouterPlans>();
        return services.AddJobHandler<RouterApplyJobHandler>();
    }
}
