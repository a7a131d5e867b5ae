namespace Fabric.Jobs.Model;

public enum JobErrorKind
{
    /// <summary>A field of the request is wrong (400).</summary>
    Validation,

    /// <summary>No such job (404).</summary>
    NotFound,

    /// <summary>The job's state does not allow it (409).</summary>
    Conflict,
}

/// <summary>One problem with one field.</summary>
public sealed record JobFieldError(string Field, string Reason)
{
    public override string ToString() => $"{Field}: {Reason}";
}

/// <summary>An expected failure, returned as a value.</summary>
public sealed record JobError(JobErrorKind Kind, IReadOnlyList<JobFieldError> Errors)
{
    public static JobError NotFound(long id) => new(JobErrorKind.NotFound, [new JobFieldError("id", $"no job {id}")]);

    public static JobError Conflict(string field, string reason) => new(JobErrorKind.Conflict, [new JobFieldError(field, reason)]);

    public override string ToString() => string.Join("; ", Errors);
}

/// <summary>A job, or why there is none.</summary>
public readonly record struct JobResult
{
    private JobResult(Job? value, JobError? error)
    {
        Value = value;
        Error = error;
    }

    public Job? Value { get; }

    public JobError? Error { get; }

    public bool Succeeded => Error is null;

    public static implicit operator JobResult(Job value) => new(value, null);

    public static implicit operator JobResult(JobError error) => new(null, error);
}
