using Fabric.Core;

namespace Fabric.Boot.Tests.Rendering;

public sealed class HandlebarsBootRendererTests : IDisposable
{
    private static readonly BootRenderOptions Immediate = new() { ReloadCheckInterval = TimeSpan.Zero, RetrySeconds = 2 };

    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-boot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private void Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private IBootRenderer Create() => BootRenderer.Create(_dir, Immediate);

    private static BootContext HwAoe => Fixtures.Contexts["hw-aoe"];

    [Fact]
    public void Render_SyntaxError_FailsNamingTemplateAndLine()
    {
        Write("bad.ipxe", "#!ipxe\necho {{name}}\necho {{name}\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Equal("bad.ipxe", result.Template);
        Assert.Equal(3, result.Line);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
    }

    [Fact]
    public void Render_UnclosedBlock_FailsWithLineOfTheBlock()
    {
        Write("bad.ipxe", "#!ipxe\n\n{{#if root}}\nkernel x\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal("bad.ipxe", result.Template);
        Assert.Equal(3, result.Line);
        Assert.Contains("if", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MissingPartial_FailsWithoutPartialText()
    {
        Write("bad.ipxe", "#!ipxe\necho first line {{name}}\n{{> nosuchpartial}}\necho last line\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Equal("bad.ipxe", result.Template);
        Assert.Equal(3, result.Line);
        Assert.Contains("nosuchpartial", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnknownHelper_FailsWithLine()
    {
        Write("bad.ipxe", "#!ipxe\necho {{name}}\n\n{{shout name}}\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Equal(4, result.Line);
        Assert.Contains("shout", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnknownValue_FailsInsteadOfRenderingEmpty()
    {
        Write("bad.ipxe", "#!ipxe\nkernel {{filesUrl}}/{{kernal}}\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Line);
        Assert.Contains("kernal", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("#!ipxe\nkernel {{{rootArg}}}\n")]
    [InlineData("#!ipxe\nkernel {{&rootArg}}\n")]
    public void Render_RawOutput_IsRefused(string source)
    {
        Write("raw.ipxe", source);

        var result = Create().Render("raw.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Line);
        Assert.Contains("raw output", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_Partial_IsUsed()
    {
        Write("partials/args.hbs", "fabric.node={{name}}");
        Write("ok.ipxe", "#!ipxe\nkernel x {{> args}}\n");

        var result = Create().Render("ok.ipxe", HwAoe);

        Assert.True(result.Succeeded, result.Error);
        Assert.Equal("#!ipxe\nkernel x fabric.node=hnode01\n", result.Text);
    }

    [Fact]
    public void Render_BrokenPartial_FailsTemplatesThatUseIt()
    {
        Write("partials/args.hbs", "fabric.node={{name}\n");
        Write("user.ipxe", "#!ipxe\nkernel x {{> args}}\n");
        Write("other.ipxe", "#!ipxe\necho {{name}}\n");

        var renderer = Create();
        var user = renderer.Render("user.ipxe", HwAoe);
        var other = renderer.Render("other.ipxe", HwAoe);

        Assert.False(user.Succeeded);
        Assert.Contains("partials/args.hbs", user.Error, StringComparison.Ordinal);
        Assert.True(other.Succeeded, other.Error);
    }

    [Fact]
    public void Render_UnknownTemplate_Fails()
    {
        Write("ok.ipxe", "#!ipxe\n");

        var result = Create().Render("nope.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal("nope.ipxe", result.Template);
    }

    [Fact]
    public void Render_FileChanged_IsRecompiled()
    {
        Write("t.ipxe", "#!ipxe\necho one {{name}}\n");
        var renderer = Create();
        Assert.Equal("#!ipxe\necho one hnode01\n", renderer.Render("t.ipxe", HwAoe).Text);

        Write("t.ipxe", "#!ipxe\necho two two {{name}}\n");
        Assert.Equal("#!ipxe\necho two two hnode01\n", renderer.Render("t.ipxe", HwAoe).Text);

        Write("t.ipxe", "#!ipxe\necho {{name\n");
        Assert.False(renderer.Render("t.ipxe", HwAoe).Succeeded);
    }

    [Fact]
    public void TemplateNames_FileAddedOrRemoved_IsSeen()
    {
        Write("a.ipxe", "#!ipxe\n");
        Write("README.md", "docs");
        var renderer = Create();
        Assert.Equal(["a.ipxe"], renderer.TemplateNames);

        Write("b.cfg", "x\n");
        Assert.Equal(["a.ipxe", "b.cfg"], renderer.TemplateNames);

        File.Delete(Path.Combine(_dir, "a.ipxe"));
        Assert.Equal(["b.cfg"], renderer.TemplateNames);
    }

    [Fact]
    public void Render_UnchangedFolder_ReusesCompiledTemplatesWithinInterval()
    {
        Write("t.ipxe", "#!ipxe\necho one\n");
        var renderer = BootRenderer.Create(_dir, new BootRenderOptions { ReloadCheckInterval = TimeSpan.FromHours(1) });
        Assert.Equal("#!ipxe\necho one\n", renderer.Render("t.ipxe", HwAoe).Text);

        Write("t.ipxe", "#!ipxe\necho changed\n");

        Assert.Equal("#!ipxe\necho one\n", renderer.Render("t.ipxe", HwAoe).Text);
    }

    [Theory]
    [InlineData("{{> evil}}")]
    [InlineData("{{name}}")]
    [InlineData("x\n:evil\nshell")]
    [InlineData("x\r\nchain http://evil/")]
    [InlineData("${root-path} ${net0/ip}")]
    [InlineData("a; reboot")]
    [InlineData("a || shell")]
    [InlineData("a && shell")]
    [InlineData("\"quoted\" 'single'")]
    [InlineData("# comment")]
    [InlineData("x init=/bin/sh")]
    [InlineData("ünï\tcode\0")]
    public void Render_HostileLabel_ComesOutInert(string value)
    {
        Write("t.ipxe", "#!ipxe\n{{#each labels}}[{{key}}={{value}}]{{/each}}\n");
        var node = HwAoe.Node with { Labels = new Dictionary<string, string> { ["k{{x}} y"] = value } };

        var result = Create().Render("t.ipxe", HwAoe with { Node = node });

        Assert.True(result.Succeeded, result.Error);
        var line = result.Text.Split('\n')[1];
        Assert.Equal(3, result.Text.Split('\n').Length);
        Assert.StartsWith("[k__x___y=", line, StringComparison.Ordinal);
        var rendered = line["[k__x___y=".Length..^1];
        Assert.Equal(value.Length, rendered.Length);
        Assert.All(rendered, c => Assert.True(BootText.IsSafe(c), $"unsafe '{c}' in {rendered}"));
        Assert.DoesNotContain(' ', rendered);
    }

    [Fact]
    public void Render_HostileLabel_InShippedHardwareScript_StaysOnItsCommentLine()
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir);
        var node = HwAoe.Node with { Labels = new Dictionary<string, string> { ["note"] = "x\nshell\nkernel http://evil/ ${x} {{name}}; #" } };

        var result = renderer.Render(BootTemplates.Hardware, HwAoe with { Node = node });

        Assert.True(result.Succeeded, result.Error);
        var clean = renderer.Render(BootTemplates.Hardware, HwAoe with { Node = node with { Labels = new Dictionary<string, string>() } });
        Assert.Equal(clean.Text!.Split('\n').Length + 1, result.Text.Split('\n').Length);
        Assert.Contains("# label note=x_shell_kernel_http://evil/___x____name_____\n", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("\nshell", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_TokenAbsent_LeavesNoTokenArgument()
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir);

        var result = renderer.Render(BootTemplates.Hardware, HwAoe with { BootToken = null });

        Assert.True(result.Succeeded, result.Error);
        Assert.DoesNotContain("fabric.token", result.Text, StringComparison.Ordinal);
        Assert.Contains("fabric.node=hnode01 fabric.mac=52:54:00:12:34:01", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RetrySeconds_ComesFromOptions()
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir, Immediate);

        var result = renderer.Render(BootTemplates.Discovery, Fixtures.Contexts["discovery"]);

        Assert.True(result.Succeeded, result.Error);
        Assert.Contains("\nsleep 2\n", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void IpxeFor_DiscoveredNode_IsDiscoveryScript()
    {
        Assert.Equal(BootTemplates.Discovery, BootTemplates.IpxeFor(Fixtures.Contexts["discovery"].Node));
        Assert.Equal(BootTemplates.Hardware, BootTemplates.IpxeFor(HwAoe.Node));
        Assert.Equal(BootTemplates.Storage, BootTemplates.IpxeFor(Fixtures.Storage0));
        Assert.Equal(BootTemplates.Router, BootTemplates.IpxeFor(Fixtures.Contexts["router"].Node));
        Assert.Equal(BootTemplates.Instance, BootTemplates.IpxeFor(Fixtures.Contexts["instance"].Node with { State = NodeState.Up }));
    }
}
