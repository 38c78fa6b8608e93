import CVulkan

/// A compute pipeline for one shader variant and one set of specialization constants, with its
/// descriptor set layout (storage buffers at bindings 0..<storageBindings, then uniform texel
/// buffers) and a push-constant range.
/// `@unchecked Sendable`: the handles are immutable and Vulkan allows their concurrent use.
final class ComputePipeline: @unchecked Sendable {
    /// Every pipeline gets the 128 bytes Vulkan guarantees.
    static let pushConstantBytes = 128

    let device: VulkanDevice
    let variant: ShaderVariant
    let storageBindings: Int
    let texelBindings: Int
    let setLayout: VkDescriptorSetLayout
    let layout: VkPipelineLayout
    let pipeline: VkPipeline

    init(device: VulkanDevice, module: VkShaderModule, variant: ShaderVariant, storageBindings: Int, texelBindings: Int,
         constants: [UInt32], cache: VkPipelineCache?) throws(VulkanError) {
        self.device = device
        self.variant = variant
        self.storageBindings = storageBindings
        self.texelBindings = texelBindings
        let bindingCount = storageBindings + texelBindings
        var bindings = (0..<bindingCount).map { index in
            VkDescriptorSetLayoutBinding(binding: UInt32(index),
                                         descriptorType: index < storageBindings ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER : VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER,
                                         descriptorCount: 1, stageFlags: VK_SHADER_STAGE_COMPUTE_BIT.rawValue, pImmutableSamplers: nil)
        }
        var setLayout: VkDescriptorSetLayout?
        let setResult = bindings.withUnsafeMutableBufferPointer { pointer in
            var info = VkDescriptorSetLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO
            info.bindingCount = UInt32(bindingCount)
            info.pBindings = UnsafePointer(pointer.baseAddress)
            return vkCreateDescriptorSetLayout(device.handle, &info, nil, &setLayout)
        }
        try check(setResult, "vkCreateDescriptorSetLayout")
        var range = VkPushConstantRange(stageFlags: VK_SHADER_STAGE_COMPUTE_BIT.rawValue, offset: 0, size: UInt32(Self.pushConstantBytes))
        var layout: VkPipelineLayout?
        let layoutResult = withUnsafePointer(to: &setLayout) { setPointer in
            var info = VkPipelineLayoutCreateInfo()
            info.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO
            info.setLayoutCount = 1
            info.pSetLayouts = setPointer
            info.pushConstantRangeCount = 1
            info.pPushConstantRanges = withUnsafePointer(to: &range) { $0 }
            return vkCreatePipelineLayout(device.handle, &info, nil, &layout)
        }
        guard layoutResult == VK_SUCCESS else {
            vkDestroyDescriptorSetLayout(device.handle, setLayout, nil)
            throw VulkanError(result: layoutResult, call: "vkCreatePipelineLayout")
        }
        var entries = constants.indices.map { VkSpecializationMapEntry(constantID: UInt32($0), offset: UInt32($0 * 4), size: 4) }
        var values = constants
        var pipeline: VkPipeline?
        let pipelineResult = "main".withCString { entryPoint in
            entries.withUnsafeMutableBufferPointer { entryPointer in
                values.withUnsafeMutableBytes { valueBytes in
                    var specialization = VkSpecializationInfo(mapEntryCount: UInt32(constants.count), pMapEntries: entryPointer.baseAddress,
                                                              dataSize: valueBytes.count, pData: valueBytes.baseAddress)
                    return withUnsafePointer(to: &specialization) { specializationPointer in
                        var stage = VkPipelineShaderStageCreateInfo()
                        stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO
                        stage.stage = VK_SHADER_STAGE_COMPUTE_BIT
                        stage.module = module
                        stage.pName = entryPoint
                        stage.pSpecializationInfo = constants.isEmpty ? nil : specializationPointer
                        var info = VkComputePipelineCreateInfo()
                        info.sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO
                        info.stage = stage
                        info.layout = layout
                        return vkCreateComputePipelines(device.handle, cache, 1, &info, nil, &pipeline)
                    }
                }
            }
        }
        guard pipelineResult == VK_SUCCESS else {
            vkDestroyPipelineLayout(device.handle, layout, nil)
            vkDestroyDescriptorSetLayout(device.handle, setLayout, nil)
            throw VulkanError(result: pipelineResult, call: "vkCreateComputePipelines(\(variant.name))")
        }
        self.setLayout = setLayout!
        self.layout = layout!
        self.pipeline = pipeline!
    }

    deinit {
        vkDestroyPipeline(device.handle, pipeline, nil)
        vkDestroyPipelineLayout(device.handle, layout, nil)
        vkDestroyDescriptorSetLayout(device.handle, setLayout, nil)
    }
}
