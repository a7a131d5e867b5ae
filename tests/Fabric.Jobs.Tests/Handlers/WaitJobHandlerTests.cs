using Fabric.Jobs.Handlers;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Microsoft.Extensions.Time.Testing;

namespace Fabric.Jobs.Tests.Handlers;

public sealed class WaitJobHandlerTests
{
    /// <summary>Records what the handler reports.</summary>
    private sealed class RecordingContext(Job job, CancellationToken token) : IJobContext
    {
        public Job Job { get; } = job;

        public CancellationToken CancellationToken { get; } = token;

        public List<string> Steps { get; } = [];

        public List<JobProgress> Progresses { get; } = [];

        public List<string> Lines { get; } = [];

        public ValueTask StepAsync(string name)
        {
            lock (Steps)
            {
                Steps.Add(name);
            }

            return ValueTask.CompletedTask;
        }

        public void Progress(long done, long? total, string unit)
        {
            lock (Progresses)
            {
                Progresses.Add(new JobProgress(done, total, unit));
            }
        }

        public void Log(string line) => Lines.Add(line);

        public long LastDone
        {
            get
            {
                lock (Progresses)
                {
                    return Progresses.Count == 0 ? -1 : Progresses[^1].Done;
                }
            }
        }
    }

    private static Job WaitJob(params (string Key, string Value)[] arguments) => new()
    {
        Id = 1,
        Kind = "wait",
        Arguments = arguments.ToDictionary(a => a.Key, a => a.Value),
        State = JobState.Running,
        Actor = "admin",
        CreatedAt = DateTimeOffset.UnixEpoch,
        QueuedAt = DateTimeOffset.UnixEpoch,
    };

    [Theory]
    [InlineData("5", null, 0)]
    [InlineData("0", "1", 0)]
    [InlineData("86400", "100", 0)]
    [InlineData("-1", null, 1)]
    [InlineData("86401", null, 1)]
    [InlineData("1.5", null, 1)]
    [InlineData("five", "0", 2)]
    [InlineData("5", "101", 1)]
    public void Validate_SecondsAndSteps_ErrorsForEachBadField(string seconds, string? steps, int errors)
    {
        var handler = new WaitJobHandler(TimeProvider.System);
        var arguments = new Dictionary<string, string> { ["seconds"] = seconds };
        if (steps is not null)
        {
            arguments["steps"] = steps;
        }

        Assert.Equal(errors, handler.Validate(arguments).Count);
    }

    [Fact]
    public void Validate_MissingSecondsAndUnknownArgument_BothNamed()
    {
        var errors = new WaitJobHandler(TimeProvider.System).Validate(new Dictionary<string, string> { ["sleep"] = "3" });

        Assert.Equal(["arguments.seconds", "arguments.sleep"], errors.Select(e => e.Field));
    }

    [Fact]
    public async Task Run_FiveSecondsInTwoSteps_ProgressEachSecondAndTwoSteps()
    {
        var time = new FakeTimeProvider();
        var context = new RecordingContext(WaitJob(("seconds", "5"), ("steps", "2")), CancellationToken.None);
        var run = new WaitJobHandler(time).RunAsync(context);

        for (int second = 1; second <= 5; second++)
        {
            // An advance before the handler's delay exists is lost, never doubled: advance until the next second shows.
            for (int tries = 0; context.LastDone < second && tries < 600; tries++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(50);
            }
        }

        await run.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["wait 1/2", "wait 2/2"], context.Steps);
        Assert.Equal(new JobProgress(5, 5, "seconds"), context.Progresses[^1]);
        Assert.Equal([0L, 1, 2, 2, 3, 4, 5], context.Progresses.Select(p => p.Done));
        Assert.Equal(["step 1/2 done: waited 2 of 5 s", "step 2/2 done: waited 5 of 5 s"], context.Lines);
    }

    [Fact]
    public async Task Run_Cancelled_StopsWithOperationCanceled()
    {
        var time = new FakeTimeProvider();
        using var cancel = new CancellationTokenSource();
        var context = new RecordingContext(WaitJob(("seconds", "3600")), cancel.Token);
        var run = new WaitJobHandler(time).RunAsync(context);
        await WaitUntilAsync(() => context.LastDone == 0);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(0, context.LastDone);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (int i = 0; i < 6000 && !condition(); i++)
        {
            await Task.Delay(5);
        }

        Assert.True(condition());
    }
}
