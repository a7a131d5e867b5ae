using System.Diagnostics;
using System.Diagnostics.Metrics;
using Fabric.Core;
using Fabric.Registry;

namespace Fabric.Appliance.Metrics;

/// <summary>The appliance's own instruments (meter <c>Fabric.Appliance</c>).</summary>
public sealed class ApplianceMetrics
{
    public const string MeterName = "Fabric.Appliance";

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _bootScripts;

    public ApplianceMetrics(IMeterFactory meters, IServiceProvider services)
    {
        var meter = meters.Create(MeterName);
        _requests = meter.CreateCounter<long>("fabric_http_requests_total", description: "HTTP requests served, by method, route and status.");
        _duration = meter.CreateHistogram<double>("fabric_http_request_duration_seconds", "s", "Time to serve HTTP requests.");
        _bootScripts = meter.CreateCounter<long>("fabric_boot_scripts_total", description: "iPXE boot scripts served, by template and outcome.");
        meter.CreateObservableGauge("fabric_nodes", () => Nodes(services), description: "Registered nodes by state.");
    }

    /// <summary>The methods counted by name; any other is counted as <c>other</c>, so a client cannot grow the label set.</summary>
    private static readonly HashSet<string> KnownMethods = new(StringComparer.OrdinalIgnoreCase)
    {
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    };

    public const string OtherMethod = "other";

    /// <summary>The label value for a request method: the method in upper case when it is a standard one, else <c>other</c>.</summary>
    public static string MethodLabel(string method) =>
        KnownMethods.TryGetValue(method, out var known) ? known : OtherMethod;

    public void Request(string method, string route, int status, TimeSpan elapsed)
    {
        var tags = new TagList { { "method", MethodLabel(method) }, { "route", route }, { "status", status } };
        _requests.Add(1, tags);
        _duration.Record(elapsed.TotalSeconds, tags);
    }

    public void BootScript(string template, bool succeeded) =>
        _bootScripts.Add(1, new TagList { { "template", template }, { "outcome", succeeded ? "ok" : "error" } });

    private static IEnumerable<Measurement<long>> Nodes(IServiceProvider services)
    {
        var nodes = services.GetService<IRegistry>()?.ListNodes() ?? [];
        var counts = nodes.GroupBy(n => n.State).ToDictionary(g => g.Key, g => g.LongCount());
        return Enum.GetValues<NodeState>().Select(s => new Measurement<long>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("state", s.ToWire())));
    }
}
