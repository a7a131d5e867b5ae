using System.Diagnostics.Metrics;

namespace Fabric.Router.Drift;

/// <summary>The router instruments, on the Meter "Fabric.Router": <c>fabric_router_drift_actions</c> (by <c>router</c>:
/// the changes its last successful check found; 0 in sync) and <c>fabric_router_check_failures_total</c> (by
/// <c>router</c>: checks that could not read it).</summary>
internal sealed class RouterMetrics : IDisposable
{
    public const string MeterName = "Fabric.Router";

    private readonly Meter _meter;
    private readonly Counter<long> _failures;
    private Func<IEnumerable<(string Router, int Actions)>> _drift = () => [];

    public RouterMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _failures = _meter.CreateCounter<long>("fabric_router_check_failures_total", description: "Router drift checks that could not read the router, by router");
        _meter.CreateObservableGauge(
            "fabric_router_drift_actions",
            () => _drift().Select(d => new Measurement<int>(d.Actions, new KeyValuePair<string, object?>("router", d.Router))),
            description: "Changes apply would make on each router, as its last successful drift check found (0: in sync)");
    }

    /// <summary>The meter, for listeners in tests.</summary>
    internal Meter Meter => _meter;

    /// <summary>Where the drift of each router comes from (the monitor, once it exists).</summary>
    public void Observe(Func<IEnumerable<(string Router, int Actions)>> drift) => _drift = drift;

    public void CheckFailed(string router) => _failures.Add(1, new KeyValuePair<string, object?>("router", router));

    public void Dispose() => _meter.Dispose();
}
