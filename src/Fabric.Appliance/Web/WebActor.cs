using Fabric.Core.Events;

namespace Fabric.Appliance.Web;

/// <summary>The actor recorded in node events for changes made on the web page.</summary>
internal static class WebActor
{
    public static Actor Name { get; } = Actor.AdminVia("web");
}
