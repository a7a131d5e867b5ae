using System.Net;
using System.Net.Http.Json;
using System.Text;
using Fabric.Api.Contracts;

namespace Fabric.Appliance.Tests.Api;

public sealed class NodesApiTests : IAsyncLifetime
{
    private static readonly string[] BootDns = ["10.0.0.1"];
    private static readonly string[] Store1Macs = ["525400000001", "5254.0000.0002"];

    private ApplianceHost _host = null!;
    private HttpClient _admin = null!;

    public async Task InitializeAsync()
    {
        _host = await ApplianceHost.StartAsync();
        _admin = _host.AdminClient();
        await _host.AddNetworkAsync(new { name = "boot", cidr = "10.0.0.0/24", gateway = "10.0.0.1", dns = BootDns, poolStart = "10.0.0.100", poolEnd = "10.0.0.200" });
    }

    public async Task DisposeAsync()
    {
        _admin.Dispose();
        await _host.DisposeAsync();
    }

    private Task<HttpResponseMessage> PostAsync(object body) => _admin.PostAsJsonAsync("/api/v1/nodes", body);

    [Fact]
    public async Task PostNode_AnyMacNotation_CreatedWithCanonicalMacAndNextFreeIp()
    {
        var response = await PostAsync(new { name = "hnode01", mac = "52-54-00-AB-CD-EF", role = "hardware", root = "aoe:e0.1" });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("/api/v1/nodes/hnode01", response.Headers.Location!.OriginalString);
        var node = (await response.Content.ReadFromJsonAsync<NodeDto>(FabricJson.Options))!;
        Assert.Equal(["52:54:00:ab:cd:ef"], node.Macs);
        Assert.Equal("10.0.0.2", node.Ip);
        Assert.Equal("registered", node.State);
        Assert.Equal("aoe:e0.1", node.Root);
    }

    [Fact]
    public async Task PostNode_MacsArray_AllStored()
    {
        var node = await _host.AddNodeAsync(new { name = "store1", macs = Store1Macs, role = "storage", aoeShelf = 0 });

        Assert.Equal(["52:54:00:00:00:01", "52:54:00:00:00:02"], node.Macs);
    }

    [Fact]
    public async Task PostNode_MalformedMac_400NamesMac()
    {
        var response = await PostAsync(new { name = "hnode01", mac = "52:54:zz", role = "hardware", root = "aoe:e0.1" });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "mac", "'52:54:zz' is not a MAC address");
        Assert.Contains("mac: '52:54:zz' is not a MAC address", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostNode_UnknownRole_400NamesRole()
    {
        var response = await PostAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "toaster" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "role", "'toaster' is not a role");
    }

    [Fact]
    public async Task PostNode_IpOutsideNetwork_400NamesIp()
    {
        var response = await PostAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", network = "boot", ip = "10.9.9.9" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "ip", "outside network 'boot'");
    }

    [Fact]
    public async Task PostNode_UnknownNetwork_400NamesNetwork()
    {
        var response = await PostAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", network = "nowhere" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "network", "unknown network 'nowhere'");
    }

    [Fact]
    public async Task PostNode_BadRoot_400NamesRoot()
    {
        var response = await PostAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "hardware", root = "iscsi:disk" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "root", "root must start with");
    }

    [Fact]
    public async Task PostNode_EverythingWrong_400ListsEveryField()
    {
        var response = await PostAsync(new { name = "bad_name", mac = "nope", role = "x", network = "nowhere" });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        var fields = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ToList();
        Assert.Equal(["mac", "name", "network", "role"], fields);
    }

    [Fact]
    public async Task PostNode_DuplicateMacNameOrIp_409NamesField()
    {
        await _host.AddNodeAsync(new { name = "hnode01", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", ip = "10.0.0.10" });

        await ProblemAssert.IsProblemAsync(await PostAsync(new { name = "hnode02", mac = "525400000001", role = "hardware", root = "aoe:e0.1" }), HttpStatusCode.Conflict, "mac", "already registered to node 'hnode01'");
        await ProblemAssert.IsProblemAsync(await PostAsync(new { name = "HNODE01", mac = "52:54:00:00:00:02", role = "hardware", root = "aoe:e0.1" }), HttpStatusCode.Conflict, "name", "already exists");
        await ProblemAssert.IsProblemAsync(await PostAsync(new { name = "hnode03", mac = "52:54:00:00:00:03", role = "hardware", root = "aoe:e0.1", ip = "10.0.0.10" }), HttpStatusCode.Conflict, "ip", "already taken");
    }

    [Fact]
    public async Task PostNode_SameMacInParallel_OneCreatedOneConflict()
    {
        var responses = await Task.WhenAll(
            PostAsync(new { name = "a", mac = "52:54:00:00:00:09", role = "hardware", root = "aoe:e0.1" }),
            PostAsync(new { name = "b", mac = "52:54:00:00:00:09", role = "hardware", root = "aoe:e0.1" }));

        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task PostNode_OversizedBody_413()
    {
        var padding = new string('x', 1024 * 1024 + 10);
        using var content = new StringContent($"{{\"name\":\"n\",\"mac\":\"52:54:00:00:00:01\",\"role\":\"hardware\",\"pad\":\"{padding}\"}}", Encoding.UTF8, "application/json");

        var response = await _admin.PostAsync("/api/v1/nodes", content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body", "larger than");
    }

    [Fact]
    public async Task PostNode_OversizedChunkedBody_413()
    {
        var padding = Encoding.UTF8.GetBytes($"{{\"name\":\"n\",\"pad\":\"{new string('x', 1024 * 1024 + 10)}\"}}");
        using var content = new StreamContent(new NonSeekableStream(padding));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        var response = await _admin.PostAsync("/api/v1/nodes", content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "body");
    }

    [Fact]
    public async Task PostNode_MalformedJson_400()
    {
        using var content = new StringContent("{\"name\": \"x\", \"mac\": [1,", Encoding.UTF8, "application/json");

        var response = await _admin.PostAsync("/api/v1/nodes", content);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("malformed JSON", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetNode_Unknown_404()
    {
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/nodes/ghost"), HttpStatusCode.NotFound, "name");
    }

    [Fact]
    public async Task ListNodes_RoleFilter_OnlyThatRole()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });
        await _host.AddNodeAsync(new { name = "s1", mac = "52:54:00:00:00:02", role = "storage" });

        var hardware = await _host.Client.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes?role=hardware", FabricJson.Options);
        var all = await _host.Client.GetFromJsonAsync<List<NodeDto>>("/api/v1/nodes", FabricJson.Options);

        Assert.Equal(["h1"], hardware!.Select(n => n.Name));
        Assert.Equal(["h1", "s1"], all!.Select(n => n.Name));
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/nodes?role=toaster"), HttpStatusCode.BadRequest, "role");
    }

    [Fact]
    public async Task PatchNode_ChangesFieldsAndLogsEventWithActor()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        var response = await _admin.PatchAsJsonAsync("/api/v1/nodes/h1", new { root = "nfs:10.0.0.5:/srv/roots/h1", state = "retired", labels = new Dictionary<string, string> { ["rack"] = "r1" } });
        var node = (await response.Content.ReadFromJsonAsync<NodeDto>(FabricJson.Options))!;
        var events = (await _host.Client.GetFromJsonAsync<List<NodeEventDto>>("/api/v1/nodes/h1/events", FabricJson.Options))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("nfs:10.0.0.5:/srv/roots/h1", node.Root);
        Assert.Equal("retired", node.State);
        Assert.Equal("r1", node.Labels["rack"]);
        Assert.Equal(["created", "updated"], events.Select(e => e.Kind));
        Assert.All(events, e => Assert.Equal("admin", e.Actor));
        Assert.Contains("state: registered -> retired", events[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PatchNode_MemberSetToNull_RemovesIt()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1", labels = new Dictionary<string, string> { ["rack"] = "r1" } });

        // JSON merge patch (RFC 7396): null removes, an absent member keeps its value.
        using var body = new StringContent("""{"root": null, "labels": null, "cpuCores": 8}""", System.Text.Encoding.UTF8, "application/json");
        var response = await _admin.PatchAsync("/api/v1/nodes/h1", body);
        var node = (await response.Content.ReadFromJsonAsync<NodeDto>(FabricJson.Options))!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null(node.Root);
        Assert.Empty(node.Labels);
        Assert.Equal(8, node.CpuCores);
        Assert.Equal("52:54:00:00:00:01", node.Macs.Single());
    }

    [Fact]
    public async Task PatchNode_RequiredMemberSetToNull_400NamingItAndNothingChanged()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        using var body = new StringContent("""{"Role": null, "root": "aoe:e0.2"}""", System.Text.Encoding.UTF8, "application/json");
        await ProblemAssert.IsProblemAsync(await _admin.PatchAsync("/api/v1/nodes/h1", body), HttpStatusCode.BadRequest, "role");

        var node = (await _host.Client.GetFromJsonAsync<NodeDto>("/api/v1/nodes/h1", FabricJson.Options))!;
        Assert.Equal(("hardware", "aoe:e0.1"), (node.Role, node.Root));
    }

    [Fact]
    public async Task PatchNode_BadStateAndUnknownNode_400And404()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        await ProblemAssert.IsProblemAsync(await _admin.PatchAsJsonAsync("/api/v1/nodes/h1", new { state = "asleep" }), HttpStatusCode.BadRequest, "state");
        await ProblemAssert.IsProblemAsync(await _admin.PatchAsJsonAsync("/api/v1/nodes/ghost", new { state = "up" }), HttpStatusCode.NotFound, "name");
    }

    [Theory]
    [InlineData("booting")]
    [InlineData("up")]
    [InlineData("failed")]
    public async Task PatchNode_StateOnlyBootSets_400NamingStateAndNothingChanged(string state)
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        var response = await _admin.PatchAsJsonAsync("/api/v1/nodes/h1", new { state, root = "aoe:e0.2" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "state", "set only by the node's boot");
        var node = (await _host.Client.GetFromJsonAsync<NodeDto>("/api/v1/nodes/h1", FabricJson.Options))!;
        Assert.Equal(("registered", "aoe:e0.1"), (node.State, node.Root));
        Assert.Single((await _host.Client.GetFromJsonAsync<List<NodeEventDto>>("/api/v1/nodes/h1/events", FabricJson.Options))!);
    }

    [Fact]
    public async Task DeleteNode_RemovesItAndFreesMac()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        var deleted = await _admin.DeleteAsync("/api/v1/nodes/h1");
        var again = await _admin.DeleteAsync("/api/v1/nodes/h1");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound);
        await _host.AddNodeAsync(new { name = "h2", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });
    }

    [Fact]
    public async Task Events_UnknownNode_404()
    {
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/nodes/ghost/events"), HttpStatusCode.NotFound, "name");
    }

    [Fact]
    public async Task Render_KnownTemplate_ReturnsWholeText()
    {
        await _host.AddNodeAsync(new { name = "s0", mac = "52:54:00:00:00:10", role = "storage", aoeShelf = 0 });
        await _host.AddNodeAsync(new { name = "s1", mac = "52:54:00:00:00:11", role = "storage", aoeShelf = 1 });
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe-md:e0.1,e1.1" });

        var response = await _host.Client.GetAsync("/api/v1/nodes/h1/render/hardware.ipxe");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("#!ipxe\n# hardware.ipxe\nset node h1\nset mac 52:54:00:00:00:01\n", text, StringComparison.Ordinal);
        Assert.Contains("set targets s0,s1\n", text, StringComparison.Ordinal);
        Assert.Contains("set token none\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_TemplateError_500NamesTemplateAndLine()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        var response = await _host.Client.GetAsync("/api/v1/nodes/h1/render/broken.ipxe");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError);
        Assert.Equal("broken.ipxe", problem.GetProperty("template").GetString());
        Assert.Equal(3, problem.GetProperty("line").GetInt32());
        Assert.Contains("broken.ipxe:3: unknown helper", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_UnknownTemplateOrNode_404()
    {
        await _host.AddNodeAsync(new { name = "h1", mac = "52:54:00:00:00:01", role = "hardware", root = "aoe:e0.1" });

        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/nodes/h1/render/nope.cfg"), HttpStatusCode.NotFound, "template");
        await ProblemAssert.IsProblemAsync(await _host.Client.GetAsync("/api/v1/nodes/ghost/render/hardware.ipxe"), HttpStatusCode.NotFound, "name");
    }

    /// <summary>A stream without a length, so the client sends it chunked.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
