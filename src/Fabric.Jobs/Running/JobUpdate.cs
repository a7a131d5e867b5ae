using Fabric.Jobs.Model;

namespace Fabric.Jobs.Running;

/// <summary>A change to a job, published to live subscribers (the API's Server-Sent Events, the web page).</summary>
public abstract record JobUpdate(long JobId);

/// <summary>A step started (or, for the previous one, ended).</summary>
public sealed record JobStepUpdate(long JobId, JobStep Step) : JobUpdate(JobId);

/// <summary>The latest progress (coalesced to a few per second).</summary>
public sealed record JobProgressUpdate(long JobId, JobProgress Progress) : JobUpdate(JobId);

/// <summary>A log line.</summary>
public sealed record JobLogUpdate(long JobId, DateTimeOffset At, string Line) : JobUpdate(JobId);

/// <summary>The job changed state; <see cref="Job"/> is the whole job after the change.</summary>
public sealed record JobStateUpdate(Job Job) : JobUpdate(Job.Id);
