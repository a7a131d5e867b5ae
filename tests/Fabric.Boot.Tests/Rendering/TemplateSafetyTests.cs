using System.Reflection;
using Fabric.Boot.Rendering;

namespace Fabric.Boot.Tests.Rendering;

/// <summary>Registry values cannot add a line, a word or a command to any shipped template, and a template cannot
/// step outside its model, its folder or its limits.</summary>
public sealed class TemplateSafetyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fabric-boot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static BootContext HwAoe => Fixtures.Contexts["hw-aoe"];

    public static TheoryData<string, string> ShippedTemplatesAndHostileValues()
    {
        var data = new TheoryData<string, string>();
        foreach (var template in new[] { BootTemplates.Hardware, BootTemplates.Storage, BootTemplates.Instance, BootTemplates.Router, BootTemplates.Discovery, BootTemplates.Provisioning, BootTemplates.Error, BootTemplates.Pxelinux, BootTemplates.Grub })
        {
            data.Add(template, "x\nchain http://evil/");
            data.Add(template, "a;reboot");
            data.Add(template, "x\r\nshell ${net0/ip} || reboot && exit # \"q\" 'q' `q`");
        }

        return data;
    }

    /// <summary>Every string of the model (and of every list entry) set to <paramref name="value"/>, so each value a
    /// template prints is the hostile one; the same shape with a plain word is the reference.</summary>
    private static BootModel Every(string value)
    {
        var model = BootModel.From(Fixtures.Contexts["storage"] with { BootToken = "t" }, new BootRenderOptions()) with
        {
            Labels = [new BootLabel(value, value), new BootLabel(value, value)],
            StorageTargets = [new BootStorageTarget(value, value, value), new BootStorageTarget(value, value, value)],
            Volumes = [new BootVolume(value, value, value), new BootVolume(value, value, value)],
        };
        foreach (var property in typeof(BootModel).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.PropertyType == typeof(string)))
        {
            property.SetValue(model, value);
        }

        return model;
    }

    [Theory]
    [MemberData(nameof(ShippedTemplatesAndHostileValues))]
    public void Render_HostileValueInEveryField_NoNewLineWordOrCommand(string template, string hostile)
    {
        var renderer = (ScribanBootRenderer)BootRenderer.Create(Fixtures.TemplatesDir);

        var plain = renderer.Render(template, Every("v"));
        var result = renderer.Render(template, Every(hostile));

        Assert.True(plain.Succeeded, plain.Detail);
        Assert.True(result.Succeeded, result.Detail);
        var plainLines = plain.Text.Split('\n');
        var lines = result.Text.Split('\n');
        Assert.Equal(plainLines.Length, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            // Each value stays one word: kernel, APPEND and linux lines keep their arguments, echo lines their words.
            Assert.Equal(plainLines[i].Split(' ').Length, lines[i].Split(' ').Length);
            Assert.False(lines[i].StartsWith("chain http://evil", StringComparison.Ordinal), lines[i]);
            Assert.False(lines[i].TrimStart().StartsWith("shell", StringComparison.Ordinal), lines[i]);
        }

        Assert.DoesNotContain(";reboot", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("||_reboot", result.Text.Replace(" || reboot", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("${", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', result.Text);
        Assert.DoesNotContain('"' + "q", result.Text, StringComparison.Ordinal);
        Assert.DoesNotContain('`', result.Text);
    }

    private void Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private RenderResult RenderOne(string source, BootRenderOptions? options = null)
    {
        Write("t.ipxe", source);
        return BootRenderer.Create(_dir, options ?? new BootRenderOptions { ReloadCheckInterval = TimeSpan.Zero }).Render("t.ipxe", HwAoe);
    }

    [Fact]
    public void Render_LoopOverLoopLimit_Fails()
    {
        var options = new BootRenderOptions { ReloadCheckInterval = TimeSpan.Zero, LoopLimit = 100 };

        var within = RenderOne("{{ for i in 1..50 }}x{{ end }}", options);
        var over = RenderOne("#!ipxe\n{{ for i in 1..1000 }}x{{ end }}", options);
        var forever = RenderOne("#!ipxe\n{{ while true }}{{ end }}", options);

        Assert.True(within.Succeeded, within.Detail);
        Assert.False(over.Succeeded);
        Assert.Null(over.Text);
        Assert.Equal(2, over.Line);
        Assert.Contains("limit", over.Error, StringComparison.OrdinalIgnoreCase);
        Assert.False(forever.Succeeded);
        Assert.Contains("limit", forever.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Render_RecursionOverRecursiveLimit_Fails()
    {
        var options = new BootRenderOptions { ReloadCheckInterval = TimeSpan.Zero, RecursiveLimit = 10 };

        var result = RenderOne("#!ipxe\n{{ func f(n) }}{{ f(n + 1) }}{{ end }}{{ f(1) }}", options);

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Contains("recursive", result.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Render_PartialThatIncludesItself_Fails()
    {
        Write("partials/self.sbn", "x{{ include \"self\" }}");

        var result = RenderOne("#!ipxe\n{{ include \"self\" }}\n");

        Assert.False(result.Succeeded);
        Assert.Null(result.Text);
        Assert.Contains("nested deeper", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_OutputOverMaxOutputChars_FailsInsteadOfTruncating()
    {
        var options = new BootRenderOptions { ReloadCheckInterval = TimeSpan.Zero, MaxOutputChars = 1024 };

        var within = RenderOne("{{ for i in 1..100 }}0123456789{{ end }}", options);
        var over = RenderOne("#!ipxe\n{{ for i in 1..200 }}0123456789{{ end }}", options);

        Assert.True(within.Succeeded, within.Detail);
        Assert.Equal(1000, within.Text.Length);
        Assert.False(over.Succeeded);
        Assert.Null(over.Text);
        Assert.Contains("limit", over.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Render_OutputLimit_CountsEachRenderAlone()
    {
        Write("t.ipxe", "{{ for i in 1..60 }}0123456789{{ end }}");
        var renderer = BootRenderer.Create(_dir, new BootRenderOptions { ReloadCheckInterval = TimeSpan.Zero, MaxOutputChars = 1024 });

        // 600 characters each: together far over the limit, each alone under it (the context is reused between them).
        for (int i = 0; i < 10; i++)
        {
            var result = renderer.Render("t.ipxe", HwAoe);
            Assert.True(result.Succeeded, $"render {i}: {result.Detail}");
            Assert.Equal(600, result.Text.Length);
        }
    }

    [Theory]
    [InlineData("{{ name.Length }}")]
    [InlineData("{{ name.GetType }}")]
    [InlineData("{{ labels.Count }}")]
    [InlineData("{{ labels[0].GetType }}")]
    [InlineData("{{ object.eval \"1 + 1\" }}")]
    [InlineData("{{ object.eval_template \"{{ name }}\" }}")]
    [InlineData("{{ include \"../hardware.ipxe\" }}")]
    [InlineData("{{ include \"/etc/passwd\" }}")]
    [InlineData("{{ include \"partials/x\" }}")]
    [InlineData("{{ import \"System.IO.File\" }}")]
    public void Render_ReachOutsideTheModelOrFolder_Fails(string expression)
    {
        Write("hardware.ipxe", "#!ipxe\n");
        Write("partials/x.sbn", "x");

        var result = RenderOne("#!ipxe\n" + expression + "\n");

        Assert.False(result.Succeeded, result.Text);
        Assert.Null(result.Text);
        Assert.Equal(2, result.Line);
    }

    [Fact]
    public void Render_ChangeToABuiltinFunction_FailsAndChangesNothing()
    {
        var broken = RenderOne("#!ipxe\n{{ string.upcase = \"x\" }}\n");
        var after = RenderOne("#!ipxe\n{{ \"a\" | string.upcase }}\n");

        Assert.False(broken.Succeeded);
        Assert.Equal("#!ipxe\nA\n", after.Text);
    }

    [Fact]
    public void BuiltinObject_EveryValue_IsFunctionOrReadOnlyObject()
    {
        var builtins = BootTemplateContext.CreateBuiltins();

        Assert.True(builtins.IsReadOnly);
        var objectFunctions = Assert.IsAssignableFrom<Scriban.Runtime.ScriptObject>(builtins["object"]);
        Assert.DoesNotContain("eval", objectFunctions.Keys);
        Assert.DoesNotContain("eval_template", objectFunctions.Keys);
        Assert.All(builtins.Values.OfType<Scriban.Runtime.ScriptObject>(), o => Assert.True(o.IsReadOnly));
    }
}
