using System.Diagnostics.Metrics;
using Fabric.Jobs.Model;

namespace Fabric.Jobs.Running;

/// <summary>The job runner's instruments, on the Meter "Fabric.Jobs".</summary>
internal sealed class JobMetrics : IDisposable
{
    public const string MeterName = "Fabric.Jobs";

    private readonly Meter _meter;
    private readonly Counter<long> _finished;
    private readonly Histogram<double> _duration;
    private Func<int> _running = () => 0;

    public JobMetrics(IMeterFactory? factory = null)
    {
        _meter = factory?.Create(MeterName) ?? new Meter(MeterName);
        _finished = _meter.CreateCounter<long>("fabric.jobs.finished_total", description: "Jobs ended, by kind and final state");
        _duration = _meter.CreateHistogram<double>("fabric.jobs.duration", unit: "s", description: "Seconds from start to end of a job run, by kind");
        _meter.CreateObservableGauge("fabric.jobs.running", () => _running(), description: "Jobs running now");
    }

    /// <summary>Where the running count comes from (the runner, once it exists).</summary>
    public void Observe(Func<int> running) => _running = running;

    public void Finished(Job job)
    {
        var kind = new KeyValuePair<string, object?>("kind", job.Kind);
        _finished.Add(1, kind, new KeyValuePair<string, object?>("state", job.State.Name()));
        if (job is { StartedAt: { } started, FinishedAt: { } finished })
        {
            _duration.Record((finished - started).TotalSeconds, kind);
        }
    }

    public void Dispose() => _meter.Dispose();
}
