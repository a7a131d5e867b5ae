using Fabric.Jobs.Model;

namespace Fabric.Jobs.Running;

/// <summary>One kind of job (<c>wait</c>, <c>image-push</c>, ...), registered in DI with <c>AddJobHandler</c>.
/// Handlers make their steps idempotent: a retry runs the job again from the start and must converge.</summary>
public interface IJobHandler
{
    /// <summary>The kind name jobs are started with; lower-case words joined by '-'.</summary>
    string Kind { get; }

    /// <summary>Every problem with a new job's arguments (empty when they are fine).</summary>
    IReadOnlyList<JobFieldError> Validate(IReadOnlyDictionary<string, string> arguments);

    /// <summary>Does the work, reporting through <paramref name="context"/>. Returning means success; throwing
    /// <see cref="JobFailedException"/> (or anything else) fails the job; when
    /// <see cref="IJobContext.CancellationToken"/> fires the handler stops by throwing <see cref="OperationCanceledException"/>.</summary>
    Task RunAsync(IJobContext context);
}

/// <summary>What a running handler sees of its job.</summary>
public interface IJobContext
{
    /// <summary>The job as it is now (id, node, arguments, attempt).</summary>
    Job Job { get; }

    /// <summary>Fires when an operator cancels the job or the appliance stops.</summary>
    CancellationToken CancellationToken { get; }

    /// <summary>Starts the step <paramref name="name"/>; the previous step, if any, succeeded. Recorded at once.</summary>
    ValueTask StepAsync(string name);

    /// <summary>Reports how much is done, e.g. <c>(1048576, 268435456, "bytes")</c>. Cheap: call it as often as you
    /// like, the runner records and publishes at most a few values per second.</summary>
    void Progress(long done, long? total, string unit);

    /// <summary>Adds a line to the job's log (published at once, recorded in batches).</summary>
    void Log(string line);
}

/// <summary>An expected failure of a job, with the message the operator reads.</summary>
public sealed class JobFailedException(string message, Exception? inner = null) : Exception(message, inner);
