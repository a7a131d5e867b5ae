using System.Globalization;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;

namespace Fabric.Jobs.Handlers;

/// <summary>Job kind <c>wait</c>: waits <c>seconds</c> (0 to 86400), split into <c>steps</c> (1 to 100, default 1)
/// named <c>wait 1/N</c>..., reporting progress in seconds once a second. It touches nothing, so an operator can
/// use it to check the job system: queueing per node, live progress, cancel and retry.</summary>
internal sealed class WaitJobHandler(TimeProvider time) : IJobHandler
{
    public const string KindName = "wait";
    public const int MaxSeconds = 86400;
    public const int MaxSteps = 100;

    public string Kind => KindName;

    public IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments)
    {
        var errors = new List<JobFieldError>();
        if (!arguments.TryGetValue("seconds", out var seconds))
        {
            errors.Add(new JobFieldError("arguments.seconds", "a wait job needs 'seconds'"));
        }
        else if (!TryInt(seconds, 0, MaxSeconds, out _))
        {
            errors.Add(new JobFieldError("arguments.seconds", $"'{seconds}' is not a whole number of seconds from 0 to {MaxSeconds}"));
        }

        if (arguments.TryGetValue("steps", out var steps) && !TryInt(steps, 1, MaxSteps, out _))
        {
            errors.Add(new JobFieldError("arguments.steps", $"'{steps}' is not a whole number from 1 to {MaxSteps}"));
        }

        foreach (var key in arguments.Keys.Where(k => k is not ("seconds" or "steps")))
        {
            errors.Add(new JobFieldError($"arguments.{key}", "a wait job takes only 'seconds' and 'steps'"));
        }

        return errors;
    }

    public async Task RunAsync(IJobContext context)
    {
        var arguments = context.Job.Arguments;
        int total = int.Parse(arguments["seconds"], CultureInfo.InvariantCulture);
        int steps = arguments.TryGetValue("steps", out var s) ? int.Parse(s, CultureInfo.InvariantCulture) : 1;
        var token = context.CancellationToken;
        int done = 0;
        for (int step = 1; step <= steps; step++)
        {
            // Seconds spread over the steps as evenly as whole seconds allow.
            int until = (int)((long)total * step / steps);
            await context.StepAsync($"wait {step}/{steps}");
            context.Progress(done, total, "seconds");
            while (done < until)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, token);
                done++;
                context.Progress(done, total, "seconds");
            }

            context.Log($"step {step}/{steps} done: waited {done} of {total} s");
        }
    }

    private static bool TryInt(string text, int min, int max, out int value) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max;
}
