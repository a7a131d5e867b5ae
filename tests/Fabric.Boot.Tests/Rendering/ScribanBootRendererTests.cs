using Fabric.Core;

namespace Fabric.Boot.Tests.Rendering;

public sealed class ScribanBootRendererTests : IDisposable
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
    public void Render_SyntaxError_FailsNamingFileLineAndColumn()
    {
        Write("bad.ipxe", "#!ipxe\necho {{ name }}\necho {{ name }\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Equal("bad.ipxe", result.Template);
        Assert.Equal(Path.Combine(_dir, "bad.ipxe"), result.File);
        Assert.Equal(3, result.Line);
        Assert.Equal(14, result.Column);
        Assert.StartsWith($"{Path.Combine(_dir, "bad.ipxe")}:3:14: ", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnclosedBlock_FailsNamingTheProblem()
    {
        Write("bad.ipxe", "#!ipxe\n\n{{ if root }}\nkernel x\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal("bad.ipxe", result.Template);
        Assert.NotNull(result.Line);
        Assert.Contains("end", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_MissingPartial_FailsWithoutPartialText()
    {
        Write("bad.ipxe", "#!ipxe\necho first line {{ name }}\n{{ include \"nosuchpartial\" }}\necho last line\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Equal("bad.ipxe", result.Template);
        Assert.Equal(3, result.Line);
        Assert.Contains("nosuchpartial", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnknownFunction_FailsWithLineAndColumn()
    {
        Write("bad.ipxe", "#!ipxe\necho {{ name }}\n\n  {{ shout name }}\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Equal(4, result.Line);
        Assert.Equal(6, result.Column);
        Assert.Contains("shout", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnknownValue_FailsInsteadOfRenderingEmpty()
    {
        Write("bad.ipxe", "#!ipxe\nkernel {{ files_url }}/{{ kernal }}\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Line);
        Assert.Contains("kernal", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_UnknownMember_FailsInsteadOfRenderingEmpty()
    {
        Write("bad.ipxe", "#!ipxe\n{{ for l in labels }}{{ l.kee }}{{ end }}\n");

        var result = Create().Render("bad.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Line);
    }

    [Theory]
    [InlineData("{{ \"x\\nchain http://evil/\" }}", "x_chain_http://evil/")]
    [InlineData("{{ \"a;\" + \"reboot\" }}", "a_reboot")]
    [InlineData("{{ name + \" || shell\" }}", "hnode01____shell")]
    [InlineData("{{ capture c }}a b{{ end }}{{ c }}", "a_b")]
    public void Render_ValueMadeInTheTemplate_IsEscapedToo(string expression, string expected)
    {
        Write("t.ipxe", "#!ipxe\n" + expression + "\n");

        var result = Create().Render("t.ipxe", HwAoe);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal("#!ipxe\n" + expected + "\n", result.Text);
    }

    [Fact]
    public void Render_VariableSetByOneRender_IsGoneInTheNext()
    {
        Write("set.ipxe", "#!ipxe\n{{ leaked = \"x\" }}{{ capture c }}y{{ end }}{{ leaked }}{{ c }}\n");
        Write("get.ipxe", "#!ipxe\n{{ leaked }}\n");
        var renderer = Create();

        var set = renderer.Render("set.ipxe", HwAoe);
        var get = renderer.Render("get.ipxe", HwAoe);

        Assert.Equal("#!ipxe\nxy\n", set.Text);
        Assert.False(get.Succeeded);
        Assert.Contains("leaked", get.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_AssignToAModelValue_Fails()
    {
        Write("t.ipxe", "#!ipxe\n{{ name = \"evil\" }}{{ name }}\n");

        var result = Create().Render("t.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Line);
    }

    [Fact]
    public void Render_AfterAFailedRender_NextRenderIsWhole()
    {
        Write("bad.ipxe", "#!ipxe\nhalf {{ for l in labels }}{{ nope }}{{ end }}\n");
        Write("ok.ipxe", "#!ipxe\necho {{ name }}\n");
        var renderer = Create();

        Assert.False(renderer.Render("bad.ipxe", HwAoe).Succeeded);
        var ok = renderer.Render("ok.ipxe", HwAoe);

        Assert.Equal("#!ipxe\necho hnode01\n", ok.Text);
    }

    [Fact]
    public async Task Render_ManyThreadsAtOnce_EachGetsItsOwnWholeText()
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir);
        var cases = Fixtures.Contexts.Values.SelectMany(c => new[] { BootTemplates.Pxelinux, BootTemplates.Grub, BootTemplates.IpxeFor(c.Node) }.Select(t => (Template: t, Context: c))).ToArray();
        var expected = cases.Select(c => renderer.Render(c.Template, c.Context).Text).ToArray();

        var workers = Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (int i = 0; i < 500; i++)
            {
                int n = (i * 7 + w) % cases.Length;
                var result = renderer.Render(cases[n].Template, cases[n].Context);
                Assert.Equal(expected[n], result.Text);
            }
        }));

        await Task.WhenAll(workers);
    }

    [Fact]
    public void Render_EmptyValue_IsFalseInIf()
    {
        Write("t.ipxe", "#!ipxe\n{{ if token }}T{{ else }}none{{ end }} {{ if name }}N{{ end }}\n");

        var result = Create().Render("t.ipxe", HwAoe with { BootToken = null });

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal("#!ipxe\nnone N\n", result.Text);
    }

    [Fact]
    public void Render_Partial_IsUsed()
    {
        Write("partials/args.sbn", "fabric.node={{ name }}");
        Write("ok.ipxe", "#!ipxe\nkernel x {{ include \"args\" }}\n");

        var result = Create().Render("ok.ipxe", HwAoe);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Equal("#!ipxe\nkernel x fabric.node=hnode01\n", result.Text);
    }

    [Fact]
    public void Render_BrokenPartial_FailsTemplatesThatUseIt()
    {
        Write("partials/args.sbn", "fabric.node={{ name }\n");
        Write("user.ipxe", "#!ipxe\nkernel x {{ include \"args\" }}\n");
        Write("other.ipxe", "#!ipxe\necho {{ name }}\n");

        var renderer = Create();
        var user = renderer.Render("user.ipxe", HwAoe);
        var other = renderer.Render("other.ipxe", HwAoe);

        Assert.False(user.Succeeded);
        Assert.Contains(Path.Combine("partials", "args.sbn") + ":1:", user.Error, StringComparison.Ordinal);
        Assert.True(other.Succeeded, other.Detail);
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
    public void Render_FileChanged_IsParsedAgain()
    {
        Write("t.ipxe", "#!ipxe\necho one {{ name }}\n");
        var renderer = Create();
        Assert.Equal("#!ipxe\necho one hnode01\n", renderer.Render("t.ipxe", HwAoe).Text);

        Write("t.ipxe", "#!ipxe\necho two two {{ name }}\n");

        Assert.Equal("#!ipxe\necho two two hnode01\n", renderer.Render("t.ipxe", HwAoe).Text);
    }

    [Fact]
    public void Render_EditThatDoesNotParse_IsRefusedAndThePreviousVersionServes()
    {
        // Contract change with Scriban: a broken edit no longer breaks the template; the version that parsed stays.
        Write("t.ipxe", "#!ipxe\necho one {{ name }}\n");
        var logs = new ListLogger();
        using var meters = new MeterCollector(BootMetrics.MeterName, BootMetrics.RefusedTemplates);
        var renderer = BootRenderer.Create(_dir, Immediate, loggers: logs);
        Assert.Equal("#!ipxe\necho one hnode01\n", renderer.Render("t.ipxe", HwAoe).Text);

        Write("t.ipxe", "#!ipxe\necho {{ name }\n");
        var kept = renderer.Render("t.ipxe", HwAoe);
        renderer.Render("t.ipxe", HwAoe);

        Assert.True(kept.Succeeded, kept.Detail);
        Assert.Equal("#!ipxe\necho one hnode01\n", kept.Text);
        var refused = Assert.Single(logs.Lines, l => l.Contains("refused", StringComparison.Ordinal));
        Assert.Contains($"{Path.Combine(_dir, "t.ipxe")}:2:", refused, StringComparison.Ordinal);
        Assert.Equal(1, meters.Total);

        Write("t.ipxe", "#!ipxe\necho three {{ name }}\n");
        Assert.Equal("#!ipxe\necho three hnode01\n", renderer.Render("t.ipxe", HwAoe).Text);
    }

    [Fact]
    public void Render_NewFileThatDoesNotParse_FailsWithItsProblem()
    {
        Write("t.ipxe", "#!ipxe\n");
        var renderer = Create();

        Write("new.ipxe", "#!ipxe\n{{ end }}\n");
        var result = renderer.Render("new.ipxe", HwAoe);

        Assert.False(result.Succeeded);
        Assert.Equal(2, result.Line);
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
        Write("t.ipxe", "#!ipxe\n{{ for l in labels }}[{{ l.key }}={{ l.value }}]{{ end }}\n");
        var node = HwAoe.Node with { Labels = new Dictionary<string, string> { ["k{{x}} y"] = value } };

        var result = Create().Render("t.ipxe", HwAoe with { Node = node });

        Assert.True(result.Succeeded, result.Detail);
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

        Assert.True(result.Succeeded, result.Detail);
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

        Assert.True(result.Succeeded, result.Detail);
        Assert.DoesNotContain("fabric.token", result.Text, StringComparison.Ordinal);
        Assert.Contains("fabric.node=hnode01 fabric.mac=52:54:00:12:34:01", result.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_RetrySeconds_ComesFromOptions()
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir, Immediate);

        var result = renderer.Render(BootTemplates.Discovery, Fixtures.Contexts["discovery"]);

        Assert.True(result.Succeeded, result.Detail);
        Assert.Contains("\nsleep 2\n", result.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, 30, "fabric.timeout=30")]
    [InlineData("90", 30, "fabric.timeout=90")]
    [InlineData(null, 45, "fabric.timeout=45")]
    [InlineData("3600", 45, "fabric.timeout=3600")]
    [InlineData("0", 45, "fabric.timeout=45")]
    [InlineData("ten", 45, "fabric.timeout=45")]
    public void Render_KernelLine_QuietAndTimeoutFromLabelElseOptions(string? label, int configured, string expected)
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir, new BootRenderOptions { TimeoutSeconds = configured });
        var labels = label is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["fabric.timeout"] = label };
        var context = HwAoe with { Node = HwAoe.Node with { Labels = labels } };

        foreach (var template in new[] { BootTemplates.Hardware, BootTemplates.Pxelinux, BootTemplates.Grub })
        {
            var result = renderer.Render(template, context);

            Assert.True(result.Succeeded, result.Detail);
            var kernel = result.Text.Split('\n').Single(l => l.Contains("fabric.node=", StringComparison.Ordinal));
            var words = kernel.Split(' ');
            Assert.Contains("quiet", words);
            Assert.Single(words, w => w.StartsWith("fabric.timeout=", StringComparison.Ordinal));
            Assert.Contains(expected, words);
        }
    }

    [Theory]
    [InlineData(null, null, "fabric.timeout=45")]
    [InlineData(null, 120, "fabric.timeout=120")]
    [InlineData("90", 120, "fabric.timeout=90")]
    [InlineData("ten", 120, "fabric.timeout=120")]
    public void Render_KernelLine_NetworkTimeoutBetweenLabelAndOptions(string? label, int? network, string expected)
    {
        var renderer = BootRenderer.Create(Fixtures.TemplatesDir, new BootRenderOptions { TimeoutSeconds = 45 });
        var labels = label is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["fabric.timeout"] = label };
        var context = HwAoe with { Node = HwAoe.Node with { Labels = labels }, Network = Fixtures.Boot with { BootTimeoutSeconds = network } };

        foreach (var template in new[] { BootTemplates.Hardware, BootTemplates.Pxelinux, BootTemplates.Grub })
        {
            var result = renderer.Render(template, context);

            Assert.True(result.Succeeded, result.Detail);
            var words = result.Text.Split('\n').Single(l => l.Contains("fabric.node=", StringComparison.Ordinal)).Split(' ');
            Assert.Single(words, w => w.StartsWith("fabric.timeout=", StringComparison.Ordinal));
            Assert.Contains(expected, words);
        }
    }

    [Fact]
    public void Validate_TimeoutSecondsOutOfRange_IsAProblem()
    {
        Assert.Contains(new BootRenderOptions { TimeoutSeconds = 0 }.Validate(), e => e.Contains("Fabric:Boot:TimeoutSeconds", StringComparison.Ordinal));
        Assert.Contains(new BootRenderOptions { TimeoutSeconds = 3601 }.Validate(), e => e.Contains("Fabric:Boot:TimeoutSeconds", StringComparison.Ordinal));
        Assert.Empty(new BootRenderOptions { TimeoutSeconds = 3600 }.Validate());
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

    [Fact]
    public void IpxeFor_ProvisioningHardwareNode_IsTheWaitingScript()
    {
        var node = Fixtures.Contexts["hw-provisioning"].Node;

        Assert.Equal(BootTemplates.Provisioning, BootTemplates.IpxeFor(node));
        Assert.Equal(BootTemplates.Hardware, BootTemplates.IpxeFor(node with { State = NodeState.Registered }));
    }
}
