using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fabric.Instances.Qmp;

/// <summary>QMP's wire format (qemu's docs/interop/qmp-spec): JSON objects separated by newlines. Pure: bytes in,
/// messages out, and commands to bytes; no sockets, no logging.</summary>
public static class QmpCodec
{
    /// <summary>The longest line accepted. <c>query-migrate</c> and events are far smaller; a longer line is a broken
    /// or hostile peer.</summary>
    public const int MaxLineBytes = 1 << 20;

    /// <summary>Takes one complete line (without its <c>\n</c>, and without a trailing <c>\r</c>) off the front of
    /// <paramref name="buffer"/>. False when no whole line is there yet; <paramref name="tooLong"/> is true when the
    /// buffer holds more than <see cref="MaxLineBytes"/> without a newline.</summary>
    public static bool TryReadLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line, out bool tooLong)
    {
        tooLong = false;
        var newline = buffer.PositionOf((byte)'\n');
        if (newline is null)
        {
            tooLong = buffer.Length > MaxLineBytes;
            line = default;
            return false;
        }

        line = buffer.Slice(0, newline.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, newline.Value));
        if (line.Length > 0 && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        return true;
    }

    /// <summary>Parses one line. False with a reason for anything that is not one of QMP's four message shapes.</summary>
    public static bool TryParse(ReadOnlySequence<byte> line, out QmpMessage? message, out string? problem)
    {
        message = null;
        problem = null;
        if (line.Length > MaxLineBytes)
        {
            problem = $"a QMP line longer than {MaxLineBytes} bytes";
            return false;
        }

        JsonElement root;
        try
        {
            var reader = new Utf8JsonReader(line);
            using var document = JsonDocument.ParseValue(ref reader);
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            problem = $"not JSON: {e.Message}";
            return false;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            problem = $"a QMP message is a JSON object, not {root.ValueKind}";
            return false;
        }

        string? id = root.TryGetProperty("id", out var idElement) ? IdText(idElement) : null;
        if (root.TryGetProperty("return", out var value))
        {
            message = new QmpReturn(id, value);
            return true;
        }

        if (root.TryGetProperty("error", out var error))
        {
            if (error.ValueKind != JsonValueKind.Object)
            {
                problem = "'error' is not an object";
                return false;
            }

            message = new QmpError(id, Text(error, "class") ?? "GenericError", Text(error, "desc") ?? "");
            return true;
        }

        if (root.TryGetProperty("event", out var name) && name.ValueKind == JsonValueKind.String)
        {
            var data = root.TryGetProperty("data", out var d) ? d : default;
            message = new QmpEvent(name.GetString()!, data, Timestamp(root));
            return true;
        }

        if (root.TryGetProperty("QMP", out var greeting) && greeting.ValueKind == JsonValueKind.Object)
        {
            int major = 0, minor = 0, micro = 0;
            if (greeting.TryGetProperty("version", out var version) && version.TryGetProperty("qemu", out var qemu))
            {
                major = Int(qemu, "major");
                minor = Int(qemu, "minor");
                micro = Int(qemu, "micro");
            }

            var capabilities = greeting.TryGetProperty("capabilities", out var caps) && caps.ValueKind == JsonValueKind.Array
                ? caps.EnumerateArray().Where(c => c.ValueKind == JsonValueKind.String).Select(c => c.GetString()!).ToList()
                : [];
            message = new QmpGreeting(major, minor, micro, capabilities);
            return true;
        }

        problem = "a JSON object that is not a QMP greeting, return, error or event";
        return false;
    }

    /// <summary>Parses one line given as bytes.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out QmpMessage? message, out string? problem) =>
        TryParse(new ReadOnlySequence<byte>(line.ToArray()), out message, out problem);

    /// <summary>A command line: <c>{"execute": NAME, "arguments": {...}, "id": ID}\n</c>. Arguments are built as JSON
    /// values, never spliced as text.</summary>
    public static byte[] Command(string execute, string id, JsonObject? arguments = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(execute);
        var command = new JsonObject { ["execute"] = execute };
        if (arguments is not null)
        {
            command["arguments"] = arguments.DeepClone();
        }

        command["id"] = id;
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            command.WriteTo(writer);
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static string? IdText(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.String => id.GetString(),
        JsonValueKind.Number => id.GetRawText(),
        _ => null,
    };

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : 0;

    private static DateTimeOffset? Timestamp(JsonElement root)
    {
        if (!root.TryGetProperty("timestamp", out var ts) || ts.ValueKind != JsonValueKind.Object
            || !ts.TryGetProperty("seconds", out var s) || !s.TryGetInt64(out var seconds)
            || !ts.TryGetProperty("microseconds", out var us) || !us.TryGetInt64(out var micros))
        {
            return null;
        }

        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10);
    }
}
