using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Router.Jobs;

namespace Fabric.Router.Tests;

/// <summary>A running <c>router-apply</c> job's context that keeps its log lines, steps and progress reports.</summary>
internal sealed class FakeJobContext(string node = "router1") : IJobContext
{
    public List<string> Lines { get; } = [];

    public List<string> Steps { get; } = [];

    public List<JobProgress> Reports { get; } = [];

    public Job Job { get; } = new()
    {
        Id = 9,
        Kind = RouterApplyJobHandler.KindName,
        Node = node,
        State = JobState.Running,
        Actor = "admin",
        CreatedAt = DateTimeOffset.UnixEpoch,
        QueuedAt = DateTimeOffset.UnixEpoch,
    };

    public CancellationToken CancellationToken => CancellationToken.None;

    public ValueTask StepAsync(string name)
    {
        Steps.Add(name);
        return ValueTask.CompletedTask;
    }

    public void Progress(long done, long? total, string unit) => Reports.Add(new JobProgress(done, total, unit));

    public void Log(string line) => Lines.Add(line);
}
