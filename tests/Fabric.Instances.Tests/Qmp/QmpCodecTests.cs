using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fabric.Instances.Qmp;

namespace Fabric.Instances.Tests.Qmp;

public sealed class QmpCodecTests
{
    /// <summary>qemu 9.2's greeting, as sent on a QMP socket.</summary>
    private const string Greeting =
        """{"QMP": {"version": {"qemu": {"micro": 2, "minor": 2, "major": 9}, "package": "Debian 1:9.2.2"}, "capabilities": ["oob"]}}""";

    private static QmpMessage Parse(string line)
    {
        Assert.True(QmpCodec.TryParse(Encoding.UTF8.GetBytes(line), out var message, out var problem), problem);
        return message!;
    }

    [Fact]
    public void TryParse_Greeting_VersionAndCapabilities()
    {
        var greeting = Assert.IsType<QmpGreeting>(Parse(Greeting));

        Assert.Equal((9, 2, 2), (greeting.Major, greeting.Minor, greeting.Micro));
        Assert.Equal(["oob"], greeting.Capabilities);
    }

    [Fact]
    public void TryParse_Return_IdAndValue()
    {
        var ret = Assert.IsType<QmpReturn>(Parse("""{"return": {"status": "running", "running": true}, "id": "7"}"""));

        Assert.Equal("7", ret.Id);
        Assert.Equal("running", ret.Value.GetProperty("status").GetString());
    }

    [Fact]
    public void TryParse_EmptyReturnWithNumericId_IdAsText()
    {
        var ret = Assert.IsType<QmpReturn>(Parse("""{"return": {}, "id": 12}"""));

        Assert.Equal("12", ret.Id);
        Assert.Equal(JsonValueKind.Object, ret.Value.ValueKind);
    }

    [Fact]
    public void TryParse_Error_ClassAndDescription()
    {
        var error = Assert.IsType<QmpError>(Parse("""{"id": "3", "error": {"class": "CommandNotFound", "desc": "The command migrat has not been found"}}"""));

        Assert.Equal(new QmpError("3", "CommandNotFound", "The command migrat has not been found"), error);
    }

    [Fact]
    public void TryParse_Event_NameDataAndTimestamp()
    {
        var e = Assert.IsType<QmpEvent>(Parse("""{"timestamp": {"seconds": 1764632000, "microseconds": 250000}, "event": "MIGRATION", "data": {"status": "completed"}}"""));

        Assert.Equal("MIGRATION", e.Name);
        Assert.Equal("completed", e.Data.GetProperty("status").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1764632000).AddMilliseconds(250), e.At);
    }

    [Theory]
    [InlineData("", "not JSON")]
    [InlineData("{\"return\": ", "not JSON")]
    [InlineData("[1, 2]", "a QMP message is a JSON object, not Array")]
    [InlineData("{\"hello\": 1}", "a JSON object that is not a QMP greeting, return, error or event")]
    [InlineData("{\"error\": \"bad\"}", "'error' is not an object")]
    public void TryParse_NotAQmpMessage_FalseWithAReason(string line, string reason)
    {
        Assert.False(QmpCodec.TryParse(Encoding.UTF8.GetBytes(line), out var message, out var problem));
        Assert.Null(message);
        Assert.StartsWith(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void TryReadLine_TwoLinesAndAPartOne_TakesTheWholeOnesAndKeepsTheRest()
    {
        var buffer = new ReadOnlySequence<byte>("{\"return\": {}, \"id\": \"1\"}\r\n{\"event\": \"STOP\"}\n{\"ret"u8.ToArray());

        Assert.True(QmpCodec.TryReadLine(ref buffer, out var first, out _));
        Assert.True(QmpCodec.TryReadLine(ref buffer, out var second, out _));
        Assert.False(QmpCodec.TryReadLine(ref buffer, out _, out var tooLong));

        Assert.Equal("{\"return\": {}, \"id\": \"1\"}", Encoding.UTF8.GetString(first));
        Assert.Equal("{\"event\": \"STOP\"}", Encoding.UTF8.GetString(second));
        Assert.Equal("{\"ret", Encoding.UTF8.GetString(buffer));
        Assert.False(tooLong);
    }

    [Fact]
    public void TryReadLine_MoreThanTheLimitWithoutNewline_TooLong()
    {
        var buffer = new ReadOnlySequence<byte>(new byte[QmpCodec.MaxLineBytes + 1]);

        Assert.False(QmpCodec.TryReadLine(ref buffer, out _, out var tooLong));
        Assert.True(tooLong);
    }

    [Fact]
    public void Command_WithArguments_OneJsonLineWithExecuteArgumentsAndId()
    {
        var bytes = QmpCodec.Command("migrate-set-parameters", "5", new JsonObject { ["downtime-limit"] = 300, ["max-bandwidth"] = 1073741824L });

        Assert.Equal((byte)'\n', bytes[^1]);
        Assert.Equal(
            """{"execute":"migrate-set-parameters","arguments":{"downtime-limit":300,"max-bandwidth":1073741824},"id":"5"}""",
            Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1));
    }

    [Fact]
    public void Command_ArgumentWithQuotesAndNewline_EscapedNotSpliced()
    {
        var bytes = QmpCodec.Command("migrate", "1", new JsonObject { ["uri"] = "tcp:\"x\"\n{\"execute\":\"quit\"}" });

        Assert.Single(bytes, b => b == (byte)'\n');
        using var parsed = JsonDocument.Parse(bytes);
        Assert.Equal("tcp:\"x\"\n{\"execute\":\"quit\"}", parsed.RootElement.GetProperty("arguments").GetProperty("uri").GetString());
    }

    [Fact]
    public void Command_WithoutArguments_NoArgumentsMember()
    {
        Assert.Equal("{\"execute\":\"qmp_capabilities\",\"id\":\"0\"}\n", Encoding.UTF8.GetString(QmpCodec.Command("qmp_capabilities", "0")));
    }
}
