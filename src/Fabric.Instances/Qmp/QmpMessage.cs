using System.Text.Json;

namespace Fabric.Instances.Qmp;

/// <summary>One message qemu sends on a QMP socket (one JSON object per line).</summary>
public abstract record QmpMessage;

/// <summary>The first line: <c>{"QMP": {"version": {...}, "capabilities": [...]}}</c>.</summary>
public sealed record QmpGreeting(int Major, int Minor, int Micro, IReadOnlyList<string> Capabilities) : QmpMessage;

/// <summary>A command's success: <c>{"return": ..., "id": ...}</c>. <see cref="Value"/> is a detached copy.</summary>
public sealed record QmpReturn(string? Id, JsonElement Value) : QmpMessage;

/// <summary>A command's failure: <c>{"error": {"class": ..., "desc": ...}, "id": ...}</c>.</summary>
public sealed record QmpError(string? Id, string Class, string Description) : QmpMessage;

/// <summary>An asynchronous event: <c>{"event": "MIGRATION", "data": {...}, "timestamp": {...}}</c>.</summary>
public sealed record QmpEvent(string Name, JsonElement Data, DateTimeOffset? At) : QmpMessage;
