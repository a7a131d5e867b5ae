using System.Text.Json;
using Dapper;
using Fabric.Jobs.Model;
using Microsoft.Data.Sqlite;

namespace Fabric.Jobs.Storage;

/// <summary>Jobs in the registry database (<c>DataDir/fabric.db</c>, tables from registry migration 0004), through a
/// connection of their own (WAL, synchronous=FULL, busy_timeout) so job writes never wait behind the registry's
/// writer for long. Opening the store is the appliance starting: every job still <c>running</c> becomes
/// <c>interrupted</c>.</summary>
internal sealed class SqliteJobStore : IJobStore
{
    internal const string InterruptedError = "the appliance stopped while the job ran";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly SqliteConnection _connection;
    private readonly JobStoreOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteJobStore(SqliteConnection connection, JobStoreOptions options)
    {
        _connection = connection;
        _options = options;
    }

    /// <summary>Opens the jobs tables of the database at <paramref name="databasePath"/> (which the registry has
    /// migrated) and marks what was running as interrupted at <paramref name="now"/>.</summary>
    public static SqliteJobStore Open(string databasePath, DateTimeOffset now, JobStoreOptions? options = null)
    {
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWrite,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            connection.Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;");
            if (connection.ExecuteScalar<long>("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'jobs'") == 0)
            {
                throw new InvalidOperationException($"The database {databasePath} has no jobs table: the registry (schema version 4 or later) must be opened first.");
            }

            var store = new SqliteJobStore(connection, options ?? new JobStoreOptions());
            store.InterruptRunning(now);
            return store;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }

    private void InterruptRunning(DateTimeOffset now)
    {
        var running = _connection.Query<JobRow>(Select + " WHERE state = 'running'").Select(r => r.ToJob()).ToList();
        foreach (var job in running)
        {
            Update(job with
            {
                State = JobTransitions.Next(job.State, JobTrigger.Interrupt)!.Value,
                FinishedAt = now,
                Error = InterruptedError,
                Steps = job.Steps.Select(s => s.State == JobStepState.Running ? s with { State = JobStepState.Interrupted, FinishedAt = now } : s).ToList(),
            });
        }
    }

    public async Task<Job> CreateAsync(NewJob job, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            long ms = at.ToUnixTimeMilliseconds();
            long id = _connection.ExecuteScalar<long>(
                "INSERT INTO jobs (kind, node, arguments, state, actor, attempt, created_at, queued_at) " +
                "VALUES (@Kind, @Node, @Arguments, 'queued', @Actor, 1, @At, @At) RETURNING id",
                new { job.Kind, job.Node, Arguments = JsonSerializer.Serialize(job.Arguments, Json), job.Actor, At = ms });
            return Find(id)!;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<Job?> FindAsync(long id, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return Find(id);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Job? Find(long id) =>
        _connection.QuerySingleOrDefault<JobRow>(Select + " WHERE id = @id", new { id })?.ToJob();

    public async Task<IReadOnlyList<Job>> ListAsync(JobQuery query, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _connection.Query<JobRow>(
                Select + " WHERE (@Node IS NULL OR node = @Node COLLATE NOCASE) AND (@State IS NULL OR state = @State) ORDER BY id DESC LIMIT @Limit",
                new { query.Node, State = query.State?.Name(), query.Limit }).Select(r => r.ToJob()).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<Job>> QueuedAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _connection.Query<JobRow>(Select + " WHERE state = 'queued' ORDER BY queued_at, id").Select(r => r.ToJob()).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task UpdateAsync(Job job, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            Update(job);
        }
        finally
        {
            _gate.Release();
        }
    }

    private void Update(Job job)
    {
        int changed = _connection.Execute(
            "UPDATE jobs SET state = @State, attempt = @Attempt, queued_at = @QueuedAt, started_at = @StartedAt, finished_at = @FinishedAt, " +
            "cancel_requested = @CancelRequested, steps = @Steps, progress_done = @Done, progress_total = @Total, progress_unit = @Unit, error = @Error " +
            "WHERE id = @Id",
            new
            {
                job.Id,
                State = job.State.Name(),
                job.Attempt,
                QueuedAt = job.QueuedAt.ToUnixTimeMilliseconds(),
                StartedAt = job.StartedAt?.ToUnixTimeMilliseconds(),
                FinishedAt = job.FinishedAt?.ToUnixTimeMilliseconds(),
                CancelRequested = job.CancelRequested ? 1 : 0,
                Steps = JsonSerializer.Serialize(job.Steps.Select(StepRow.From).ToList(), Json),
                Done = job.Progress?.Done,
                Total = job.Progress?.Total,
                Unit = job.Progress?.Unit,
                job.Error,
            });
        if (changed != 1)
        {
            throw new InvalidOperationException($"job {job.Id} is not in the store");
        }
    }

    public async Task<IReadOnlyList<JobLogLine>> AppendLogAsync(long id, IReadOnlyList<(DateTimeOffset At, string Line)> lines, CancellationToken cancellationToken = default)
    {
        if (lines.Count == 0)
        {
            return [];
        }

        await _gate.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            long next = _connection.ExecuteScalar<long?>("SELECT MAX(seq) FROM job_log WHERE job_id = @id", new { id }, transaction) ?? 0;
            var stored = new List<JobLogLine>(lines.Count);
            foreach (var (at, text) in lines)
            {
                var line = new JobLogLine(++next, at, text.Length > _options.MaxLineLength ? text[.._options.MaxLineLength] : text);
                _connection.Execute("INSERT INTO job_log (job_id, seq, at, line) VALUES (@id, @Seq, @At, @Line)",
                    new { id, line.Seq, At = at.ToUnixTimeMilliseconds(), line.Line }, transaction);
                stored.Add(line);
            }

            int dropped = _connection.Execute("DELETE FROM job_log WHERE job_id = @id AND seq <= @limit", new { id, limit = next - _options.MaxLogLines }, transaction);
            if (dropped > 0)
            {
                _connection.Execute("UPDATE jobs SET log_dropped = log_dropped + @dropped WHERE id = @id", new { id, dropped }, transaction);
            }

            transaction.Commit();
            return stored;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task<IReadOnlyList<JobLogLine>> LogAsync(long id, long afterSeq = 0, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _connection.Query<(long Seq, long At, string Line)>("SELECT seq, at, line FROM job_log WHERE job_id = @id AND seq > @afterSeq ORDER BY seq", new { id, afterSeq })
                .Select(r => new JobLogLine(r.Seq, DateTimeOffset.FromUnixTimeMilliseconds(r.At), r.Line)).ToList();
        }
        finally
        {
            _gate.Release();
        }
    }

    private const string Select =
        "SELECT id AS Id, kind AS Kind, node AS Node, arguments AS Arguments, state AS State, actor AS Actor, attempt AS Attempt, " +
        "created_at AS CreatedAt, queued_at AS QueuedAt, started_at AS StartedAt, finished_at AS FinishedAt, cancel_requested AS CancelRequested, " +
        "steps AS Steps, progress_done AS ProgressDone, progress_total AS ProgressTotal, progress_unit AS ProgressUnit, error AS Error, " +
        "log_dropped AS LogDropped FROM jobs";

    private sealed record StepRow(string Name, string State, long StartedAt, long? FinishedAt)
    {
        public static StepRow From(JobStep step) =>
            new(step.Name, step.State.Name(), step.StartedAt.ToUnixTimeMilliseconds(), step.FinishedAt?.ToUnixTimeMilliseconds());

        public JobStep ToStep() =>
            new(Name, JobStateNames.ParseStep(State), DateTimeOffset.FromUnixTimeMilliseconds(StartedAt), FinishedAt is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null);
    }

    private sealed class JobRow
    {
        public long Id { get; init; }

        public string Kind { get; init; } = "";

        public string? Node { get; init; }

        public string Arguments { get; init; } = "{}";

        public string State { get; init; } = "";

        public string Actor { get; init; } = "";

        public long Attempt { get; init; }

        public long CreatedAt { get; init; }

        public long QueuedAt { get; init; }

        public long? StartedAt { get; init; }

        public long? FinishedAt { get; init; }

        public long CancelRequested { get; init; }

        public string Steps { get; init; } = "[]";

        public long? ProgressDone { get; init; }

        public long? ProgressTotal { get; init; }

        public string? ProgressUnit { get; init; }

        public string? Error { get; init; }

        public long LogDropped { get; init; }

        public Job ToJob() => new()
        {
            Id = Id,
            Kind = Kind,
            Node = Node,
            Arguments = JsonSerializer.Deserialize<Dictionary<string, string>>(Arguments, Json) ?? [],
            State = JobStateNames.TryParse(State, out var state) ? state : throw new InvalidOperationException($"job {Id} has the unknown state '{State}'"),
            Actor = Actor,
            Attempt = (int)Attempt,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
            QueuedAt = DateTimeOffset.FromUnixTimeMilliseconds(QueuedAt),
            StartedAt = StartedAt is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
            FinishedAt = FinishedAt is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
            CancelRequested = CancelRequested != 0,
            Steps = (JsonSerializer.Deserialize<List<StepRow>>(Steps, Json) ?? []).Select(r => r.ToStep()).ToList(),
            Progress = ProgressDone is { } done ? new JobProgress(done, ProgressTotal, ProgressUnit ?? "") : null,
            Error = Error,
            LogDropped = LogDropped,
        };
    }
}
