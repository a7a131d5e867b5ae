using System.Text.Json;
using Fabric.Api.Contracts;
using Fabric.Appliance.Hosting;
using Fabric.Appliance.Security;
using Fabric.Jobs;
using Fabric.Jobs.Model;
using Fabric.Jobs.Running;
using Fabric.Registry;

namespace Fabric.Appliance.Api;

/// <summary><c>/api/v1/jobs</c>: list, read, follow (Server-Sent Events), start, cancel and retry jobs.</summary>
internal static class JobEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>The job system on the registry's database file; the registry opens (and migrates) it first.</summary>
    public static IServiceCollection AddFabricJobsOn(this IServiceCollection services, IConfiguration configuration, FabricOptions options) =>
        services.AddFabricJobs(configuration, sp =>
        {
            sp.GetRequiredService<IRegistry>();
            return Path.Combine(options.DataDir, FabricRegistry.DatabaseFileName);
        });

    public static RouteGroupBuilder MapJobEndpoints(this RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("jobs");

        jobs.MapGet("", async (string? node, string? state, IJobService service, CancellationToken cancellationToken) =>
        {
            JobState? filter = null;
            if (!string.IsNullOrEmpty(state))
            {
                if (!JobStateNames.TryParse(state, out var parsed))
                {
                    return Problems.Field(400, "state", $"'{state}' is not a job state ({string.Join(", ", JobStateNames.All)})");
                }

                filter = parsed;
            }

            var list = await service.ListAsync(new JobQuery(string.IsNullOrEmpty(node) ? null : node, filter), cancellationToken);
            return Results.Ok(list.Select(j => j.ToDto()).ToList());
        }).Produces<List<JobDto>>().ProducesValidationProblem();

        jobs.MapPost("", async (HttpContext context, IJobService service, IRegistry registry, CancellationToken cancellationToken) =>
        {
            var (request, problem) = await JsonBody.ReadAsync<CreateJobRequest>(context.Request, cancellationToken);
            if (problem is not null)
            {
                return problem;
            }

            string? node = request!.Node;
            if (!string.IsNullOrEmpty(node))
            {
                if (registry.FindNode(node) is not { } found)
                {
                    return Problems.Field(400, "node", $"no node named '{node}'");
                }

                node = found.Name;
            }

            var result = await service.EnqueueAsync(
                new NewJob(request.Kind ?? "", node, request.Arguments ?? [], Authorization.Actor(context)), cancellationToken);
            return result.Succeeded
                ? Results.Accepted($"/api/v1/jobs/{result.Value!.Id}", result.Value.ToDto())
                : From(result.Error!);
        }).RequireAdminToken().Accepts<CreateJobRequest>("application/json").Produces<JobDto>(202).ProducesValidationProblem();

        jobs.MapGet("/{id}", async (string id, IJobService service, CancellationToken cancellationToken) =>
        {
            if (await FindAsync(id, service, cancellationToken) is not { } job)
            {
                return NotFound(id);
            }

            var log = await service.LogAsync(job.Id, cancellationToken: cancellationToken);
            return Results.Ok(job.ToDto() with { Log = log.Select(l => new JobLogLineDto(l.Seq, l.At, l.Line)).ToList() });
        }).Produces<JobDto>().ProducesProblem(404);

        jobs.MapGet("/{id}/events", async (string id, HttpContext context, IJobService service, IHostApplicationLifetime lifetime) =>
        {
            if (!long.TryParse(id, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long jobId))
            {
                return NotFound(id);
            }

            using var subscription = service.Subscribe(jobId);
            var job = await service.FindAsync(jobId, context.RequestAborted);
            if (job is null)
            {
                return NotFound(id);
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            await StreamAsync(context.Response, job, subscription, stop.Token);
            return Results.Empty;
        }).Produces<string>(200, "text/event-stream").ProducesProblem(404);

        jobs.MapPost("/{id}/cancel", async (string id, HttpContext context, IJobService service, CancellationToken cancellationToken) =>
        {
            if (!TryId(id, out long jobId))
            {
                return NotFound(id);
            }

            var result = await service.CancelAsync(jobId, Authorization.Actor(context), cancellationToken);
            if (!result.Succeeded)
            {
                return From(result.Error!);
            }

            // A queued job is cancelled now (200); a running one stops soon (202, cancelRequested).
            var dto = result.Value!.ToDto();
            return result.Value!.IsFinished ? Results.Ok(dto) : Results.Accepted($"/api/v1/jobs/{jobId}", dto);
        }).RequireAdminToken().Produces<JobDto>(200).Produces<JobDto>(202).ProducesProblem(404).ProducesProblem(409);

        jobs.MapPost("/{id}/retry", async (string id, HttpContext context, IJobService service, CancellationToken cancellationToken) =>
        {
            if (!TryId(id, out long jobId))
            {
                return NotFound(id);
            }

            var result = await service.RetryAsync(jobId, Authorization.Actor(context), cancellationToken);
            return result.Succeeded ? Results.Accepted($"/api/v1/jobs/{jobId}", result.Value!.ToDto()) : From(result.Error!);
        }).RequireAdminToken().Produces<JobDto>(202).ProducesProblem(404).ProducesProblem(409);

        return api;
    }

    /// <summary>Server-Sent Events for one job: the current step and progress of a running job, then <c>step</c>,
    /// <c>progress</c> and <c>log</c> events as they happen, and a final <c>state</c> event with the finished job,
    /// after which the stream ends. A finished job gets its <c>state</c> event at once.</summary>
    private static async Task StreamAsync(HttpResponse response, Job job, JobSubscription subscription, CancellationToken cancellationToken)
    {
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        try
        {
            if (job.IsFinished)
            {
                await WriteAsync(response, JobEvents.State, job.ToDto(), cancellationToken);
                return;
            }

            // The running job's current step and progress first; the same values arriving again from the
            // broadcast (published between the subscription and the read) are not repeated.
            JobStep? lastStep = null;
            JobProgress? lastProgress = null;
            if (job.Steps.Count > 0 && job.Steps[^1] is { State: JobStepState.Running } step)
            {
                lastStep = step;
                await WriteAsync(response, JobEvents.Step, step.ToDto(), cancellationToken);
            }

            if (job.Progress is { } progress)
            {
                lastProgress = progress;
                await WriteAsync(response, JobEvents.Progress, progress.ToDto(), cancellationToken);
            }

            await response.Body.FlushAsync(cancellationToken);
            var updates = subscription.Updates;
            while (true)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(KeepAlive);
                bool more;
                try
                {
                    more = await updates.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await response.WriteAsync(": keep-alive\n\n", cancellationToken);
                    await response.Body.FlushAsync(cancellationToken);
                    continue;
                }

                if (!more)
                {
                    return;
                }

                while (updates.TryRead(out var update))
                {
                    switch (update)
                    {
                        case JobStepUpdate s when s.Step != lastStep:
                            lastStep = s.Step;
                            await WriteAsync(response, JobEvents.Step, s.Step.ToDto(), cancellationToken);
                            break;
                        case JobProgressUpdate p when p.Progress != lastProgress:
                            lastProgress = p.Progress;
                            await WriteAsync(response, JobEvents.Progress, p.Progress.ToDto(), cancellationToken);
                            break;
                        case JobLogUpdate l:
                            await WriteAsync(response, JobEvents.Log, new JobLogLineDto(null, l.At, l.Line), cancellationToken);
                            break;
                        case JobStateUpdate { Job.IsFinished: true } final:
                            await WriteAsync(response, JobEvents.State, final.Job.ToDto(), cancellationToken);
                            await response.Body.FlushAsync(cancellationToken);
                            return;
                    }
                }

                await response.Body.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or the appliance stops: the stream just ends.
        }
    }

    private static async Task WriteAsync<T>(HttpResponse response, string name, T data, CancellationToken cancellationToken)
    {
        // JSON has no raw newlines, so one data line per event.
        await response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(data, FabricJson.Options)}\n\n", cancellationToken);
    }

    private static bool TryId(string text, out long id) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out id);

    private static async Task<Job?> FindAsync(string id, IJobService service, CancellationToken cancellationToken) =>
        TryId(id, out long jobId) ? await service.FindAsync(jobId, cancellationToken) : null;

    private static IResult NotFound(string id) => Problems.Field(404, "id", $"no job '{id}'");

    public static IResult From(JobError error)
    {
        var (status, title) = error.Kind switch
        {
            JobErrorKind.Validation => (400, "The request has invalid fields"),
            JobErrorKind.Conflict => (409, "Conflict with the job's state"),
            _ => (404, "Not found"),
        };
        return Problems.Fields(status, title, error.Errors.Select(e => new FieldError(e.Field, e.Reason)));
    }

    public static JobDto ToDto(this Job job) => new()
    {
        Id = job.Id,
        Kind = job.Kind,
        Node = job.Node,
        Arguments = job.Arguments,
        State = job.State.Name(),
        Actor = job.Actor,
        Attempt = job.Attempt,
        CreatedAt = job.CreatedAt,
        QueuedAt = job.QueuedAt,
        StartedAt = job.StartedAt,
        FinishedAt = job.FinishedAt,
        CancelRequested = job.CancelRequested,
        Steps = job.Steps.Select(s => s.ToDto()).ToList(),
        Progress = job.Progress?.ToDto(),
        Error = job.Error,
        LogDropped = job.LogDropped,
    };

    private static JobStepDto ToDto(this JobStep step) => new(step.Name, step.State.Name(), step.StartedAt, step.FinishedAt);

    private static JobProgressDto ToDto(this JobProgress progress) => new(progress.Done, progress.Total, progress.Unit);
}
