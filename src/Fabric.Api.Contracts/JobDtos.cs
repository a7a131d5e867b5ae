using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Fabric.Api.Contracts;

/// <summary>A job as the API returns it.</summary>
public sealed record JobDto
{
    public required long Id { get; init; }

    /// <summary>The job kind, e.g. <c>wait</c>.</summary>
    public required string Kind { get; init; }

    /// <summary>The node the job works on (one job at a time per node), if any.</summary>
    public string? Node { get; init; }

    public IReadOnlyDictionary<string, string> Arguments { get; init; } = new Dictionary<string, string>();

    /// <summary><c>queued</c>, <c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>cancelled</c> or <c>interrupted</c>.</summary>
    public required string State { get; init; }

    /// <summary>Who started the job.</summary>
    public required string Actor { get; init; }

    /// <summary>1, and one more for each retry.</summary>
    public int Attempt { get; init; } = 1;

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset QueuedAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>A cancel was asked for while the job ran; it ends <c>cancelled</c> once its work has stopped.</summary>
    public bool CancelRequested { get; init; }

    public IReadOnlyList<JobStepDto> Steps { get; init; } = [];

    public JobProgressDto? Progress { get; init; }

    public string? Error { get; init; }

    /// <summary>The job's log (in <c>GET /api/v1/jobs/{id}</c> only), oldest first.</summary>
    public IReadOnlyList<JobLogLineDto>? Log { get; init; }

    /// <summary>How many of the oldest log lines were dropped to keep the log bounded.</summary>
    public long LogDropped { get; init; }
}

/// <summary>One step of a job; <c>state</c> as for jobs, <c>running</c> while it runs.</summary>
public sealed record JobStepDto(string Name, string State, DateTimeOffset StartedAt, DateTimeOffset? FinishedAt);

/// <summary>How much is done, e.g. <c>{"done":1048576,"total":268435456,"unit":"bytes"}</c>.</summary>
public sealed record JobProgressDto(long Done, long? Total, string Unit);

/// <summary>A log line; <c>seq</c> is absent in live events (the line is numbered when it is stored).</summary>
public sealed record JobLogLineDto(long? Seq, DateTimeOffset At, string Line);

/// <summary><c>POST /api/v1/jobs</c>: start a job of a kind with its arguments, e.g.
/// <c>{"kind":"wait","node":"hnode01","arguments":{"seconds":"30"}}</c>.</summary>
public sealed record CreateJobRequest
{
    public string? Kind { get; init; }

    public string? Node { get; init; }

    /// <summary>Argument values are strings; JSON numbers and booleans are taken as their text (<c>30</c> as <c>"30"</c>).</summary>
    [JsonConverter(typeof(JobArgumentsConverter))]
    public Dictionary<string, string>? Arguments { get; init; }
}

/// <summary>Reads a job's arguments object, taking numbers and booleans as their JSON text; objects, arrays and
/// nulls are refused with the argument's name.</summary>
public sealed class JobArgumentsConverter : JsonConverter<Dictionary<string, string>>
{
    public override Dictionary<string, string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("arguments is an object of names and values");
        }

        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            reader.Read();
            arguments[name] = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString()!,
                JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False => Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan),
                _ => throw new JsonException($"argument '{name}' is not a string, number or boolean"),
            };
        }

        return arguments;
    }

    public override void Write(Utf8JsonWriter writer, Dictionary<string, string> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (name, text) in value)
        {
            writer.WriteString(name, text);
        }

        writer.WriteEndObject();
    }
}

/// <summary>The event names of <c>GET /api/v1/jobs/{id}/events</c> (Server-Sent Events).</summary>
public static class JobEvents
{
    /// <summary>Data: <see cref="JobStepDto"/>.</summary>
    public const string Step = "step";

    /// <summary>Data: <see cref="JobProgressDto"/>.</summary>
    public const string Progress = "progress";

    /// <summary>Data: <see cref="JobLogLineDto"/>.</summary>
    public const string Log = "log";

    /// <summary>Data: the finished <see cref="JobDto"/>; the stream ends after it.</summary>
    public const string State = "state";
}
