using System.Buffers;
using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fabric.Instances.Qmp;

namespace Fabric.Instances.Tests.Qmp;

/// <summary>A scripted qemu on the far end of a QMP connection: sends a greeting, answers each command from its rules
/// (by command name; a rule gives the reply object without the id), records every command, and can send events or
/// close. No rule for a command: qemu's CommandNotFound error.</summary>
internal sealed class FakeQmpPeer : IAsyncDisposable
{
    public const string Greeting = """{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 9}, "package": ""}, "capabilities": ["oob"]}}""";

    private readonly Pipe _toClient = new();
    private readonly Pipe _fromClient = new();
    private readonly ConcurrentDictionary<string, Func<JsonObject?, string?>> _rules = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Task _loop;

    public FakeQmpPeer(string? greeting = Greeting)
    {
        On("qmp_capabilities", _ => """{"return": {}}""");
        if (greeting is not null)
        {
            SendAsync(greeting).AsTask().GetAwaiter().GetResult();
        }

        _loop = Task.Run(LoopAsync);
    }

    /// <summary>What the client reads.</summary>
    public Stream FromQemu => _toClient.Reader.AsStream();

    /// <summary>What the client writes.</summary>
    public Stream ToQemu => _fromClient.Writer.AsStream();

    /// <summary>Every command received, in order, with its arguments.</summary>
    public ConcurrentQueue<(string Execute, JsonObject? Arguments)> Received { get; } = new();

    /// <summary>Answers <paramref name="execute"/> with what <paramref name="reply"/> returns; null sends nothing.</summary>
    public FakeQmpPeer On(string execute, Func<JsonObject?, string?> reply)
    {
        _rules[execute] = reply;
        return this;
    }

    public async ValueTask SendAsync(string line)
    {
        await _writeLock.WaitAsync();
        try
        {
            await _toClient.Writer.WriteAsync(Encoding.UTF8.GetBytes(line + "\n"));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>qemu exits: the client's stream ends.</summary>
    public async ValueTask CloseAsync() => await _toClient.Writer.CompleteAsync();

    private async Task LoopAsync()
    {
        var reader = _fromClient.Reader;
        while (true)
        {
            var read = await reader.ReadAsync();
            var buffer = read.Buffer;
            while (QmpCodec.TryReadLine(ref buffer, out var line, out _))
            {
                var command = JsonNode.Parse(Encoding.UTF8.GetString(line.ToArray()))!.AsObject();
                var execute = command["execute"]!.GetValue<string>();
                var arguments = command["arguments"]?.AsObject();
                Received.Enqueue((execute, arguments));
                var reply = _rules.TryGetValue(execute, out var rule)
                    ? rule(arguments)
                    : new JsonObject { ["error"] = new JsonObject { ["class"] = "CommandNotFound", ["desc"] = $"The command {execute} has not been found" } }.ToJsonString();
                if (reply is not null)
                {
                    var body = JsonNode.Parse(reply)!.AsObject();
                    body["id"] = command["id"]!.DeepClone();
                    await SendAsync(body.ToJsonString());
                }
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _toClient.Writer.CompleteAsync();
        await _fromClient.Writer.CompleteAsync();
        await _loop.WaitAsync(TimeSpan.FromSeconds(30));
        _writeLock.Dispose();
    }
}
